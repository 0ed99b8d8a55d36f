# private-apis: every target runs with GOWORK=off, as Docker builds and the
# Pulumi Go host do, so each module must stand on its own.
export GOWORK := off
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c

# Every Go module: the root program and each service under apps/.
APPS    := $(patsubst %/go.mod,%,$(wildcard apps/*/go.mod))
MODULES := . $(APPS)

# dynalite, a DynamoDB-compatible server from npm that the todo app's
# DynamoDB tests start on 127.0.0.1, installed from its lockfile.
DYNALITE := tools/dynalite/node_modules/dynalite/cli.js

# The Pulumi CLI, built from the Go module proxy at the SDK's version (the
# tools module pins it), so tests run the real engine with no download.
PULUMI_VERSION := $(shell awk '{for (i = 1; i < NF; i++) if ($$i == "github.com/pulumi/pulumi/pkg/v3") print $$(i+1)}' tools/pulumi/go.mod)
PULUMI_CLI     := bin/pulumi

# actionlint checks the GitHub workflows; pinned, installed from the Go
# module proxy into bin/.
ACTIONLINT_VERSION := v1.7.12

.PHONY: test vet fmt-check work-check deps pulumi-cli lint-workflows bench build up preview destroy outputs

## deps: install what the tests need beyond Go (dynalite, with npm ci)
deps: $(DYNALITE)

$(DYNALITE): tools/dynalite/package.json tools/dynalite/package-lock.json
	npm ci --prefix tools/dynalite --no-audit --no-fund
	@touch $@

## pulumi-cli: build the Pulumi CLI into bin/pulumi (about 3 minutes cold)
pulumi-cli: $(PULUMI_CLI)

$(PULUMI_CLI): tools/pulumi/go.mod tools/pulumi/go.sum
	@test -n "$(PULUMI_VERSION)" || { echo "tools/pulumi/go.mod does not require github.com/pulumi/pulumi/pkg/v3"; exit 1; }
	cd tools/pulumi && go build -o ../../$(PULUMI_CLI) \
		-ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$(PULUMI_VERSION)" \
		github.com/pulumi/pulumi/pkg/v3/cmd/pulumi

## test: run every module's tests (the README's test command), all with the
## race detector: the local gateway, the orchestrator and the mocks are
## concurrent, and the services' servers too
test: deps pulumi-cli
	go test -race ./...
	@for app in $(APPS); do \
		echo "go test -race ./... in $$app"; \
		(cd $$app && go test -race -count=1 -v ./... | grep -E "$(TEST_LOG_LINES)") || exit 1; \
	done

# What `make test` shows of the services' verbose test output: results,
# failures with their messages, and the line that proves the DynamoDB tests
# ran against a real dynalite server.
TEST_LOG_LINES := ^(ok|FAIL|PASS|panic:|--- FAIL)|^ +[A-Za-z0-9_]+_test\.go:[0-9]+:|dynalite (started|stopped)

## vet: go vet and gofmt over every module, and go.work lists them all
vet: fmt-check work-check
	@for mod in $(MODULES); do \
		echo "go vet ./... in $$mod"; \
		(cd $$mod && go vet ./...) || exit 1; \
	done

fmt-check:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

work-check:
	@for app in $(APPS); do \
		grep -q "./$$app\$$" go.work || { echo "go.work does not use ./$$app"; exit 1; }; \
	done

## lint-workflows: actionlint over .github/workflows
lint-workflows:
	GOBIN=$(CURDIR)/bin go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)
	bin/actionlint

## preview, up, outputs: every stack in order, one command (cmd/deploy);
## stack names from PROVIDER_STACKS (comma-separated) and CONSUMER_STACK
preview up outputs:
	go run ./cmd/deploy $@

## destroy: every stack, the consumer first; needs YES=1
destroy:
	go run ./cmd/deploy $(if $(YES),-yes) destroy

## bench: Go benchmarks of both services (dog names against a bare handler,
## in process and over loopback in req/s; todo create and list on both
## stores, list at 100 and 10,000 items)
bench: deps
	cd apps/dognames && go test -run '^$$' -bench . -benchtime 3s ./...
	cd apps/todo && go test -run '^$$' -bench . -benchtime 2s ./...

## build: compile the Pulumi program
build:
	go build -o bin/private-apis .

.PHONY: run token bench-gateway

## run: the whole system on this machine, no AWS: both services and a local
## API Gateway on 127.0.0.1:8080 (make run PORT=8081 for another port; PORT
## reaches localrun through the environment). Built, then run, rather than
## `go run`, which exits 1 after Ctrl-C and makes make report an error.
run:
	go build -o .local/bin/localrun ./cmd/localrun
	.local/bin/localrun

## token: with jwtIssuer in Pulumi.consumer.yaml, a token make run accepts,
## printed alone on stdout: make token SUB=alice SCOPE=todo/write (AUD= an
## audience, default the first of jwtAudiences; TTL= a Go duration, default
## 1h, negative for an expired token). make run JWT_ISSUER_KEYS=remote checks
## tokens against the issuer's own keys instead.
token:
	@go build -o .local/bin/localrun ./cmd/localrun
	@.local/bin/localrun token

## bench-gateway: Go benchmarks of the local gateway: the latency it adds on
## one connection (p50, p99), and its throughput on the four read routes as a
## multiple of the configured routeRateLimit, every answer 200
bench-gateway:
	go test -run '^$$' -bench . -benchtime 3s ./cmd/localrun/localgw
