// Package orchestrate runs the project's stacks in the order they depend on
// each other, as one command: the providers (at once), then the consumer,
// then the providers that accept endpoint connections themselves; destroy
// goes the other way. The first failure stops every stage not yet started,
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
	"sync"
	"time"
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
}

// stage is a set of stack operations that may run at the same time.
type stage struct {
	name   string
	op     Op
	stacks []string
}

// Run runs op over the plan's stacks, streaming progress to out with each
// line prefixed by its stack, and returns what happened to each. The error
// is non-nil when any operation failed.
func Run(ctx context.Context, ws Workspace, op Op, plan Plan, out io.Writer) ([]Result, error) {
	if len(plan.Providers) == 0 || plan.Consumer == "" {
		return nil, errors.New("the plan needs at least one provider stack and a consumer stack")
	}
	all := append(append([]string(nil), plan.Providers...), plan.Consumer)
	stacks := make(map[string]Stack, len(all))
	for _, name := range all {
		s, err := ws.Stack(ctx, name)
		if err != nil {
			return nil, err
		}
		stacks[name] = s
	}

	var stages []stage
	switch op {
	case Preview:
		stages = []stage{{"providers", Preview, plan.Providers}, {"consumer", Preview, []string{plan.Consumer}}}
	case Up:
		stages = []stage{{"providers", Up, plan.Providers}, {"consumer", Up, []string{plan.Consumer}}}
		var accepting []string
		for _, name := range plan.Providers {
			ok, err := stacks[name].AcceptsConnections(ctx)
			if err != nil {
				return nil, fmt.Errorf("reading %s's config: %w", name, err)
			}
			if ok {
				accepting = append(accepting, name)
			}
		}
		if len(accepting) > 0 {
			stages = append(stages, stage{"acceptance", Up, accepting})
		}
	case Destroy:
		stages = []stage{{"consumer", Destroy, []string{plan.Consumer}}, {"providers", Destroy, plan.Providers}}
	default:
		return nil, fmt.Errorf("unknown operation %q: use preview, up or destroy", op)
	}

	var results []Result
	var mu sync.Mutex // guards out across concurrent stacks
	failed := false
	for _, st := range stages {
		if failed {
			for _, name := range st.stacks {
				results = append(results, Result{Stage: st.name, Stack: name, Op: st.op, Status: Skipped})
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

	var errs []error
	for _, r := range results {
		if r.Status == Failed {
			errs = append(errs, fmt.Errorf("%s %s (%s stage): %w", r.Op, r.Stack, r.Stage, r.Err))
		}
	}
	return results, errors.Join(errs...)
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
