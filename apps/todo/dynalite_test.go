package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/private-apis/private-apis/apps/servekit/servekittest"
)

// The DynamoDB tests run against dynalite, a DynamoDB-compatible server
// (npm package, pinned in tools/dynalite). One dynalite process serves the
// whole test binary; every test gets its own table.

const (
	dynaliteRegion   = "us-west-2"
	dynaliteStartMax = 10 * time.Second
	dynaliteCLI      = "tools/dynalite/node_modules/dynalite/cli.js"
	dynaliteMissing  = `dynalite is not installed: run "npm ci --prefix tools/dynalite"`
)

var dynalite struct {
	once     sync.Once
	err      error
	cmd      *exec.Cmd
	exited   chan struct{}
	output   *servekittest.SyncBuffer
	endpoint string
	client   *dynamodb.Client
	tables   atomic.Int64
}

func TestMain(m *testing.M) {
	code := m.Run()
	stopDynalite()
	os.Exit(code)
}

// repoRoot walks up from the working directory (the package directory
// under go test) to the directory that holds tools/dynalite/package.json.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "tools", "dynalite", "package.json")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the repository root: no parent directory holds tools/dynalite/package.json")
		}
		dir = parent
	}
}

// dynaliteClient returns a DynamoDB client for the shared dynalite, starting
// it on first use. A missing install fails the test: the DynamoDB tests are
// never skipped.
func dynaliteClient(tb testing.TB) *dynamodb.Client {
	tb.Helper()
	dynalite.once.Do(func() {
		// Stays if startDynalite stops tb (FreePort failed), so that the
		// tests after it fail too rather than get a nil client.
		dynalite.err = errors.New("starting dynalite failed in an earlier test")
		dynalite.err = startDynalite(tb)
	})
	if dynalite.err != nil {
		tb.Fatal(dynalite.err)
	}
	return dynalite.client
}

func startDynalite(tb testing.TB) error {
	if _, err := exec.LookPath("node"); err != nil {
		return fmt.Errorf("node is not on PATH, and the DynamoDB tests need it to run dynalite: %w", err)
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	cli := filepath.Join(root, dynaliteCLI)
	if _, err := os.Stat(cli); err != nil {
		return errors.New(dynaliteMissing)
	}
	// The port can be taken between FreePort and dynalite's listen; try a
	// few times.
	for attempt := 1; ; attempt++ {
		err := startDynaliteOnce(tb, cli)
		if err == nil || attempt == 3 {
			return err
		}
	}
}

func startDynaliteOnce(tb testing.TB, cli string) error {
	port := servekittest.FreePort(tb)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	out := &servekittest.SyncBuffer{}
	// In memory; tables are ACTIVE as soon as they are created.
	cmd := exec.Command("node", cli, "--host", "127.0.0.1", "--port", fmt.Sprint(port),
		"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")
	cmd.Stdout, cmd.Stderr = out, out
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting dynalite: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()

	deadline := time.Now().Add(dynaliteStartMax)
	for {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			conn.Close()
			break
		}
		select {
		case <-exited:
			return fmt.Errorf("dynalite exited before accepting connections on %s:\n%s", addr, out.String())
		default:
		}
		if time.Now().After(deadline) {
			killProcessGroup(cmd)
			<-exited
			return fmt.Errorf("dynalite did not accept connections on %s within %s:\n%s", addr, dynaliteStartMax, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	dynalite.cmd, dynalite.exited, dynalite.output = cmd, exited, out
	dynalite.endpoint = "http://" + addr
	dynalite.client = dynamodb.New(dynamodb.Options{
		Region:       dynaliteRegion,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(dynalite.endpoint),
	})
	// On stderr rather than t.Log, so it shows whichever test started it.
	fmt.Fprintf(os.Stderr, "dynalite started on %s (pid %d, %s)\n", addr, cmd.Process.Pid, cli)
	return nil
}

// stopDynalite kills dynalite and anything it started.
func stopDynalite() {
	if dynalite.cmd == nil {
		return
	}
	killProcessGroup(dynalite.cmd)
	select {
	case <-dynalite.exited:
	case <-time.After(5 * time.Second):
	}
	fmt.Fprintf(os.Stderr, "dynalite stopped after serving %d test tables\n", dynalite.tables.Load())
}

// newDynaliteTable creates a fresh, empty table with the production schema
// (partition key owner, sort key id, both strings) and deletes it when the
// test ends.
func newDynaliteTable(tb testing.TB) (*dynamodb.Client, string) {
	tb.Helper()
	client := dynaliteClient(tb)
	table := fmt.Sprintf("todo-test-%d-%d", os.Getpid(), dynalite.tables.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(table),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("owner"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("owner"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("id"), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	})
	if err != nil {
		tb.Fatalf("creating table %s on dynalite: %v", table, err)
	}
	// createTable is asynchronous in dynalite as in DynamoDB;
	// --createTableMs 0 makes the wait short, but it is still a wait.
	waiter := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 10 * time.Millisecond
		o.MaxDelay = 100 * time.Millisecond
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, 5*time.Second); err != nil {
		tb.Fatalf("table %s never became ACTIVE: %v", table, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)}); err != nil {
			tb.Errorf("deleting table %s: %v", table, err)
		}
	})
	return client, table
}

// newDynaliteStore is a dynamoStore on a fresh dynalite table.
func newDynaliteStore(tb testing.TB) *dynamoStore {
	tb.Helper()
	client, table := newDynaliteTable(tb)
	return newDynamoStore(client, table)
}
