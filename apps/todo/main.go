package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/private-apis/private-apis/apps/servekit"
)

func main() { servekit.Main(run) }

// run is main without the process globals, so tests can drive the whole
// program with their own context, environment and log sink.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) (err error) {
	if err := servekit.RejectArgs(args, storeVars...); err != nil {
		return err
	}
	cfg, err := parseConfig(getenv)
	if err != nil {
		return err
	}
	logger := cfg.NewLogger(stderr)

	store, err := openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	// Closed only after Serve has returned, when no handler uses it any
	// more.
	defer func() {
		if cerr := store.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("closing the store: %w", cerr))
		}
	}()

	ln, err := servekit.Listen(cfg.Config)
	if err != nil {
		return err
	}
	health := &servekit.Health{}
	return servekit.Serve(ctx, ln, NewServer(logger, health, store), health, cfg.Config, logger)
}

// openStore opens DynamoDB if TABLE_NAME is set and the bolt file under
// DATA_DIR otherwise, and logs which.
func openStore(ctx context.Context, cfg config, logger *slog.Logger) (Store, error) {
	if cfg.TableName == "" {
		s, err := openBoltStore(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		logger.Info("store opened", slog.String("store", "bolt"), slog.String("path", s.db.Path()))
		return s, nil
	}

	// The SDK's default chain: credentials from the environment, shared
	// files or the EC2 instance role; region from AWS_REGION unless set
	// here.
	var opts []func(*awsconfig.LoadOptions) error
	if cfg.Region != "" {
		opts = append(opts, awsconfig.WithRegion(cfg.Region))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration for TABLE_NAME=%s: %w", cfg.TableName, err)
	}
	if awsCfg.Region == "" {
		return nil, fmt.Errorf("TABLE_NAME=%s is set but no AWS region is configured: set AWS_REGION, e.g. AWS_REGION=us-west-2", cfg.TableName)
	}
	client := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		if cfg.DynamoDBEndpoint != "" {
			o.BaseEndpoint = aws.String(cfg.DynamoDBEndpoint)
		}
	})
	s := newDynamoStore(client, cfg.TableName)
	attrs := []any{
		slog.String("store", "dynamodb"),
		slog.String("table", cfg.TableName),
		slog.String("region", awsCfg.Region),
	}
	if cfg.DynamoDBEndpoint != "" {
		attrs = append(attrs, slog.String("endpoint", cfg.DynamoDBEndpoint))
	}
	logger.Info("store opened", attrs...)

	// Not fatal: DynamoDB may be briefly unreachable, and /readyz reports
	// it. But a missing table or missing permissions show up here, at
	// start, rather than on the first request.
	pingCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.Ping(pingCtx); err != nil {
		logger.Warn("DynamoDB table is not reachable yet", slog.String("table", cfg.TableName), slog.Any("error", err))
	}
	return s, nil
}
