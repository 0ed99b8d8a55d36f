// Package orchestrate runs the project's stacks in the order they depend on
// each other, as one command: the providers (at once), then the consumer,
// then the providers that accept endpoint connections themselves and the
// consumer once more, to register the endpoints they accepted; destroy goes
// the other way. A preview of the consumer waits until the providers have
// contracts to read. The first failure stops every stage not yet started,
// and a summary says what ran, what changed and what failed.
//
// It drives stacks through the small Workspace and Stack interfaces, which
// the Automation API implements (see pulumi.go) and tests fake.
package orchestrate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/private-apis/private-apis/contract"
)

// Op is what to do to the stacks.
type Op string

// The operations Run accepts.
const (
	Preview Op = "preview"
	Up      Op = "up"
	Destroy Op = "destroy"
)

// Changes counts resource operations by kind ("create", "update", "same", ...).
type Changes map[string]int

// Stack is one Pulumi stack as the orchestrator drives it. Progress is
// written to the given writer as the engine reports it.
type Stack interface {
	Preview(ctx context.Context, progress io.Writer) (Changes, error)
	Up(ctx context.Context, progress io.Writer) (Changes, error)
	Destroy(ctx context.Context, progress io.Writer) (Changes, error)
	Outputs(ctx context.Context) (map[string]any, error)
	// AcceptsConnections reports whether the stack approves endpoint
	// connections itself, so it needs another pass once the consumer's
	// endpoints exist.
	AcceptsConnections(ctx context.Context) (bool, error)
}

// Workspace opens stacks by name. Opening fails, with a message saying what
// to run, when the stack does not exist or the backend isn't reachable.
type Workspace interface {
	Stack(ctx context.Context, name string) (Stack, error)
}

// Plan names the stacks.
type Plan struct {
	Providers []string
	Consumer  string
}

// Status of one stack operation.
type Status string

// The statuses a Result can have.
const (
	Succeeded Status = "succeeded"
	Failed    Status = "failed"
	Skipped   Status = "skipped"
)

// Result is one stack operation in the summary.
type Result struct {
	Stage    string
	Stack    string
	Op       Op
	Status   Status
	Changes  Changes
	Duration time.Duration
	Err      error
	// Note says why a stack was skipped when that is not a failure.
	Note string
}

// stage is a set of stack operations that may run at the same time.
type stage struct {
	name   string
	op     Op
	stacks []string
	// wait, when set, is checked before the stage starts: a non-empty
	// answer skips the stage, with that note, without failing the run.
	wait func(context.Context) (string, error)
}

// Run runs op over the plan's stacks, streaming progress to out with each
// line prefixed by its stack, and returns what happened to each. The error
// is non-nil when any operation failed.
func Run(ctx context.Context, ws Workspace, op Op, plan Plan, out io.Writer) ([]Result, error) {
	if len(plan.Providers) == 0 || plan.Consumer == "" {
		return nil, errors.New("the plan needs at least one provider stack and a consumer stack")
	}
	stacks, err := openStacks(ctx, ws, plan)
	if err != nil {
		return nil, err
	}
	stages, err := stagesFor(ctx, ws, op, plan, stacks)
	if err != nil {
		return nil, err
	}
	results, err := runStages(ctx, stages, stacks, out)
	if err != nil {
		return results, err
	}
	var errs []error
	for _, r := range results {
		if r.Status == Failed {
			errs = append(errs, fmt.Errorf("%s %s (%s stage): %w", r.Op, r.Stack, r.Stage, r.Err))
		}
	}
	return results, errors.Join(errs...)
}

// openStacks opens every stack of the plan before any runs, so a missing
// one stops the run before it changes anything.
func openStacks(ctx context.Context, ws Workspace, plan Plan) (map[string]Stack, error) {
	all := append(append([]string(nil), plan.Providers...), plan.Consumer)
	stacks := make(map[string]Stack, len(all))
	for _, name := range all {
		s, err := ws.Stack(ctx, name)
		if err != nil {
			return nil, err
		}
		stacks[name] = s
	}
	return stacks, nil
}

// stagesFor lays out op's stages in the order the stacks depend on each
// other.
func stagesFor(ctx context.Context, ws Workspace, op Op, plan Plan, stacks map[string]Stack) ([]stage, error) {
	switch op {
	case Preview:
		return []stage{
			{name: "providers", op: Preview, stacks: plan.Providers},
			{name: "consumer", op: Preview, stacks: []string{plan.Consumer}, wait: contractsDeployed(ws, plan.Providers)},
		}, nil
	case Up:
		stages := []stage{{name: "providers", op: Up, stacks: plan.Providers}, {name: "consumer", op: Up, stacks: []string{plan.Consumer}}}
		accepting, err := acceptingProviders(ctx, plan.Providers, stacks)
		if err != nil {
			return nil, err
		}
		if len(accepting) > 0 {
			// The consumer's endpoints to them wait for this pass; the
			// consumer's next one registers their addresses as targets.
			stages = append(stages,
				stage{name: "acceptance", op: Up, stacks: accepting},
				stage{name: "wiring", op: Up, stacks: []string{plan.Consumer}})
		}
		return stages, nil
	case Destroy:
		return []stage{{name: "consumer", op: Destroy, stacks: []string{plan.Consumer}}, {name: "providers", op: Destroy, stacks: plan.Providers}}, nil
	default:
		return nil, fmt.Errorf("unknown operation %q: use preview, up or destroy", op)
	}
}

// contractsDeployed is the consumer's preview's wait: a consumer reads the
// providers' contracts, which exist once they are deployed, so on a new
// setup only the providers can be previewed.
func contractsDeployed(ws Workspace, providers []string) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		missing, err := Undeployed(ctx, ws, providers)
		if err != nil || len(missing) == 0 {
			return "", err
		}
		return fmt.Sprintf("provider stacks %s have no contract yet (never deployed): the consumer can be previewed once they are; `make up` deploys them first", strings.Join(missing, ", ")), nil
	}
}

// acceptingProviders names the providers that approve endpoint connections
// themselves.
func acceptingProviders(ctx context.Context, providers []string, stacks map[string]Stack) ([]string, error) {
	var accepting []string
	for _, name := range providers {
		ok, err := stacks[name].AcceptsConnections(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading %s's config: %w", name, err)
		}
		if ok {
			accepting = append(accepting, name)
		}
	}
	return accepting, nil
}

// runStages runs the stages in order: the first failure skips every stage
// after it, and a stage's wait may skip it without failing. The error is a
// wait's own, which ends the run at once.
func runStages(ctx context.Context, stages []stage, stacks map[string]Stack, out io.Writer) ([]Result, error) {
	var results []Result
	var mu sync.Mutex // guards out across concurrent stacks
	failed := false
	for _, st := range stages {
		var note string
		if !failed && st.wait != nil {
			var err error
			if note, err = st.wait(ctx); err != nil {
				return results, err
			}
		}
		if failed || note != "" {
			for _, name := range st.stacks {
				results = append(results, Result{Stage: st.name, Stack: name, Op: st.op, Status: Skipped, Note: note})
			}
			continue
		}
		stageResults := runStage(ctx, st, stacks, out, &mu)
		for _, r := range stageResults {
			if r.Status == Failed {
				failed = true
			}
		}
		results = append(results, stageResults...)
	}
	return results, nil
}

// Undeployed names the provider stacks that export no contract yet, which a
// consumer cannot be previewed or deployed without.
func Undeployed(ctx context.Context, ws Workspace, providers []string) ([]string, error) {
	var missing []string
	for _, name := range providers {
		s, err := ws.Stack(ctx, name)
		if err != nil {
			return nil, err
		}
		outputs, err := s.Outputs(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading the outputs of %s: %w", name, err)
		}
		if _, ok := outputs[contract.EndpointServiceName]; !ok {
			missing = append(missing, name)
		}
	}
	return missing, nil
}

// runStage runs one stage's stacks concurrently and waits for all of them:
// a stack that has started is never interrupted halfway.
func runStage(ctx context.Context, st stage, stacks map[string]Stack, out io.Writer, mu *sync.Mutex) []Result {
	results := make([]Result, len(st.stacks))
	var wg sync.WaitGroup
	for i, name := range st.stacks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			progress := newPrefixWriter(out, mu, name)
			start := time.Now()
			var changes Changes
			var err error
			switch st.op {
			case Preview:
				changes, err = stacks[name].Preview(ctx, progress)
			case Up:
				changes, err = stacks[name].Up(ctx, progress)
			case Destroy:
				changes, err = stacks[name].Destroy(ctx, progress)
			}
			progress.Flush()
			r := Result{Stage: st.name, Stack: name, Op: st.op, Status: Succeeded, Changes: changes, Duration: time.Since(start)}
			if err != nil {
				r.Status, r.Err = Failed, err
			}
			results[i] = r
		}()
	}
	wg.Wait()
	return results
}
