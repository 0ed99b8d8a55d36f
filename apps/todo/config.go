package main

import (
	"fmt"
	"net/url"
	"regexp"

	"github.com/private-apis/private-apis/apps/servekit"
)

// config is everything the service reads from its environment: the
// variables every service reads, and its store's.
type config struct {
	servekit.Config

	// TableName selects the DynamoDB store; empty means the bolt store
	// under DataDir.
	TableName string
	// Region overrides the AWS SDK's own region lookup when set.
	Region string
	// DynamoDBEndpoint replaces the regional endpoint, for a local
	// DynamoDB-compatible server such as dynalite.
	DynamoDBEndpoint string
	DataDir          string
}

// storeVars are the variables todo reads besides servekit's.
var storeVars = []string{"TABLE_NAME", "AWS_REGION", "DYNAMODB_ENDPOINT", "DATA_DIR"}

func defaultConfig() config {
	return config{
		Config:  servekit.DefaultConfig(),
		DataDir: "./data",
	}
}

var (
	// DynamoDB's own rule for table names.
	tableNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)
	// us-west-2, eu-central-1, us-gov-west-1, cn-north-1, ...
	regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
)

// parseConfig reads the environment through getenv: the common variables
// through servekit.ParseConfig, then the store's with the same rules.
// Unset or empty variables keep their defaults; a set but malformed one is
// an error rather than a silent zero. Every bad variable, common or not, is
// reported at once so a broken configuration needs one fix.
func parseConfig(getenv func(string) string) (config, error) {
	cfg := defaultConfig()
	common, errs := servekit.ParseConfig(getenv)
	cfg.Config = common

	if v := getenv("TABLE_NAME"); v != "" {
		if !tableNameRE.MatchString(v) {
			errs = append(errs, fmt.Errorf("TABLE_NAME=%q is not a valid DynamoDB table name: use 3 to 255 characters of A-Z, a-z, 0-9, '_', '-' and '.', e.g. TABLE_NAME=todo, or leave it unset to use the local store in DATA_DIR", v))
		} else {
			cfg.TableName = v
		}
	}

	if v := getenv("AWS_REGION"); v != "" {
		if !regionRE.MatchString(v) {
			errs = append(errs, fmt.Errorf("AWS_REGION=%q is not a valid AWS region: use a region code, e.g. AWS_REGION=us-west-2", v))
		} else {
			cfg.Region = v
		}
	}

	if v := getenv("DYNAMODB_ENDPOINT"); v != "" {
		u, err := url.Parse(v)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "":
			errs = append(errs, fmt.Errorf("DYNAMODB_ENDPOINT=%q is not a valid endpoint: use an http or https URL, e.g. DYNAMODB_ENDPOINT=http://127.0.0.1:4567, or leave it unset to use the regional DynamoDB endpoint", v))
		case getenv("TABLE_NAME") == "":
			// Almost certainly a deployment that meant to use DynamoDB
			// and would otherwise quietly write to local disk.
			errs = append(errs, fmt.Errorf("DYNAMODB_ENDPOINT=%q is set but TABLE_NAME is not: set the table too, e.g. TABLE_NAME=todo, or unset DYNAMODB_ENDPOINT to use the local store in DATA_DIR", v))
		default:
			cfg.DynamoDBEndpoint = v
		}
	}

	if v := getenv("DATA_DIR"); v != "" {
		cfg.DataDir = v
	}

	if err := servekit.ConfigError(errs); err != nil {
		return config{}, err
	}
	return cfg, nil
}
