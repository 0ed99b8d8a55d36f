package orchestrate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// events is the ordered log of what the fake stacks did.
type events struct {
	mu  sync.Mutex
	log []string
}

func (e *events) add(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.log = append(e.log, s)
}

func (e *events) all() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.log...)
}

// index is the position of an event, failing the test when it is missing.
func (e *events) index(t *testing.T, s string) int {
	t.Helper()
	for i, ev := range e.all() {
		if ev == s {
			return i
		}
	}
	t.Fatalf("event %q never happened; log: %v", s, e.all())
	return -1
}

type fakeStack struct {
	name    string
	ev      *events
	fail    map[Op]error
	accepts bool
	// undeployed stacks have no outputs yet.
	undeployed bool
	// rendezvous, when set, makes the operation wait until every stack
	// sharing it has started: a stage that ran them one after another
	// would time out, so passing proves they ran concurrently.
	rendezvous *sync.WaitGroup
}

func (s *fakeStack) run(ctx context.Context, op Op, progress io.Writer) (Changes, error) {
	s.ev.add(fmt.Sprintf("start %s %s", op, s.name))
	fmt.Fprintf(progress, "%s: working\npartial line", op)
	if s.rendezvous != nil {
		s.rendezvous.Done()
		done := make(chan struct{})
		go func() { s.rendezvous.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			return nil, errors.New("the other stacks of the stage never started: not concurrent")
		}
	}
	defer s.ev.add(fmt.Sprintf("end %s %s", op, s.name))
	if err := s.fail[op]; err != nil {
		return nil, err
	}
	return Changes{"create": 2, "same": 1}, nil
}

func (s *fakeStack) Preview(ctx context.Context, w io.Writer) (Changes, error) {
	return s.run(ctx, Preview, w)
}
func (s *fakeStack) Up(ctx context.Context, w io.Writer) (Changes, error) { return s.run(ctx, Up, w) }
func (s *fakeStack) Destroy(ctx context.Context, w io.Writer) (Changes, error) {
	return s.run(ctx, Destroy, w)
}
func (s *fakeStack) Outputs(context.Context) (map[string]any, error) {
	if s.undeployed {
		return map[string]any{}, nil
	}
	return map[string]any{"endpointServiceName": "com.amazonaws.vpce.us-west-2.vpce-svc-" + s.name}, nil
}
func (s *fakeStack) AcceptsConnections(context.Context) (bool, error) { return s.accepts, nil }

type fakeWorkspace struct {
	stacks map[string]*fakeStack
}

func (w *fakeWorkspace) Stack(_ context.Context, name string) (Stack, error) {
	s, ok := w.stacks[name]
	if !ok {
		return nil, fmt.Errorf("stack %q does not exist", name)
	}
	return s, nil
}

func newFake(ev *events, names ...string) *fakeWorkspace {
	ws := &fakeWorkspace{stacks: map[string]*fakeStack{}}
	for _, n := range names {
		ws.stacks[n] = &fakeStack{name: n, ev: ev, fail: map[Op]error{}}
	}
	return ws
}

var plan = Plan{Providers: []string{"ecs-provider", "ec2-provider"}, Consumer: "consumer"}

// providersMeet makes both providers wait for each other in op.
func providersMeet(ws *fakeWorkspace) {
	var wg sync.WaitGroup
	wg.Add(2)
	ws.stacks["ecs-provider"].rendezvous = &wg
	ws.stacks["ec2-provider"].rendezvous = &wg
}

func TestUpRunsProvidersTogetherThenTheConsumer(t *testing.T) {
	ev := &events{}
	ws := newFake(ev, "ecs-provider", "ec2-provider", "consumer")
	providersMeet(ws)
	var out bytes.Buffer
	results, err := Run(context.Background(), ws, Up, plan, &out)
	require.NoError(t, err)

	consumerStart := ev.index(t, "start up consumer")
	require.Greater(t, consumerStart, ev.index(t, "end up ecs-provider"), "the consumer waits for every provider")
	require.Greater(t, consumerStart, ev.index(t, "end up ec2-provider"))
	require.Len(t, results, 3)
	for _, r := range results {
		require.Equal(t, Succeeded, r.Status, r.Stack)
		require.Equal(t, Changes{"create": 2, "same": 1}, r.Changes)
	}
	require.Equal(t, []string{"providers", "providers", "consumer"}, []string{results[0].Stage, results[1].Stage, results[2].Stage})
}

// TestUpAcceptsConnectionsThenWiresThem: a provider that accepts
// connections itself runs again after the consumer (its endpoint exists
// now), and the consumer runs once more after that (the endpoint is
// accepted now, so its addresses can be registered): one `make up` ends
// with traffic able to flow.
func TestUpAcceptsConnectionsThenWiresThem(t *testing.T) {
	ev := &events{}
	ws := newFake(ev, "ecs-provider", "ec2-provider", "consumer")
	ws.stacks["ec2-provider"].accepts = true
	results, err := Run(context.Background(), ws, Up, plan, io.Discard)
	require.NoError(t, err)
	var stages []string
	for _, r := range results {
		require.Equal(t, Succeeded, r.Status)
		stages = append(stages, r.Stage+"/"+r.Stack)
	}
	require.Equal(t, []string{"providers/ecs-provider", "providers/ec2-provider", "consumer/consumer", "acceptance/ec2-provider", "wiring/consumer"}, stages)

	starts := func(event string) []int {
		var at []int
		for i, e := range ev.all() {
			if e == event {
				at = append(at, i)
			}
		}
		return at
	}
	ec2Ups, consumerUps := starts("start up ec2-provider"), starts("start up consumer")
	require.Len(t, ec2Ups, 2, "ec2-provider runs twice; ecs-provider, which doesn't accept, once")
	require.Len(t, starts("start up ecs-provider"), 1)
	require.Len(t, consumerUps, 2)
	require.Greater(t, ec2Ups[1], ev.index(t, "end up consumer"), "the second pass sees the consumer's endpoints")
	var lastEC2End int
	for i, e := range ev.all() {
		if e == "end up ec2-provider" {
			lastEC2End = i
		}
	}
	require.Greater(t, consumerUps[1], lastEC2End, "the consumer's second pass follows the acceptance")
}

func TestUpWithoutAcceptanceRunsEachStackOnce(t *testing.T) {
	ev := &events{}
	ws := newFake(ev, "ecs-provider", "ec2-provider", "consumer")
	results, err := Run(context.Background(), ws, Up, plan, io.Discard)
	require.NoError(t, err)
	require.Len(t, results, 3, "no acceptance, no wiring pass")
}

func TestDestroyRunsInReverse(t *testing.T) {
	ev := &events{}
	ws := newFake(ev, "ecs-provider", "ec2-provider", "consumer")
	providersMeet(ws)
	results, err := Run(context.Background(), ws, Destroy, plan, io.Discard)
	require.NoError(t, err)
	consumerEnd := ev.index(t, "end destroy consumer")
	require.Less(t, consumerEnd, ev.index(t, "start destroy ecs-provider"), "endpoints go before the services they use")
	require.Less(t, consumerEnd, ev.index(t, "start destroy ec2-provider"))
	require.Equal(t, "consumer", results[0].Stack)
}

// TestPreviewOfANewSetup: before the providers are first deployed they have
// no contracts, so the consumer can't be previewed; the run says so and
// succeeds, rather than failing every pull request of a new setup.
func TestPreviewOfANewSetup(t *testing.T) {
	ev := &events{}
	ws := newFake(ev, "ecs-provider", "ec2-provider", "consumer")
	ws.stacks["ec2-provider"].undeployed = true
	results, err := Run(context.Background(), ws, Preview, plan, io.Discard)
	require.NoError(t, err)
	require.Len(t, results, 3)
	consumer := results[2]
	require.Equal(t, Skipped, consumer.Status)
	require.Contains(t, consumer.Note, "provider stacks ec2-provider have no contract yet (never deployed): the consumer can be previewed once they are")
	require.NotContains(t, ev.all(), "start preview consumer")
	require.Contains(t, ev.all(), "end preview ec2-provider", "the providers themselves are previewed")

	var summary bytes.Buffer
	require.NoError(t, WriteSummary(&summary, results))
	require.Contains(t, summary.String(), "preview consumer skipped: provider stacks ec2-provider have no contract yet")

	missing, err := Undeployed(context.Background(), ws, plan.Providers)
	require.NoError(t, err)
	require.Equal(t, []string{"ec2-provider"}, missing)
}

func TestPreviewHasNoAcceptancePass(t *testing.T) {
	ev := &events{}
	ws := newFake(ev, "ecs-provider", "ec2-provider", "consumer")
	ws.stacks["ec2-provider"].accepts = true
	results, err := Run(context.Background(), ws, Preview, plan, io.Discard)
	require.NoError(t, err)
	require.Len(t, results, 3)
	require.Greater(t, ev.index(t, "start preview consumer"), ev.index(t, "end preview ec2-provider"))
}

func TestFirstFailureStopsWhatHasNotStarted(t *testing.T) {
	ev := &events{}
	ws := newFake(ev, "ecs-provider", "ec2-provider", "consumer")
	ws.stacks["ec2-provider"].accepts = true
	ws.stacks["ecs-provider"].fail[Up] = errors.New("ECS service did not reach steady state")
	var out bytes.Buffer
	results, err := Run(context.Background(), ws, Up, plan, &out)
	require.ErrorContains(t, err, "up ecs-provider (providers stage): ECS service did not reach steady state")

	statuses := map[string]Status{}
	for _, r := range results {
		statuses[r.Stage+"/"+r.Stack] = r.Status
	}
	require.Equal(t, map[string]Status{
		"providers/ecs-provider":  Failed,
		"providers/ec2-provider":  Succeeded, // already running: finished, not interrupted
		"consumer/consumer":       Skipped,
		"acceptance/ec2-provider": Skipped,
		"wiring/consumer":         Skipped,
	}, statuses)
	require.NotContains(t, ev.all(), "start up consumer")

	var summary bytes.Buffer
	require.NoError(t, WriteSummary(&summary, results))
	require.Regexp(t, `(?m)^providers +ecs-provider +up +failed +- `, summary.String())
	require.Regexp(t, `(?m)^consumer +consumer +up +skipped +- +-$`, summary.String())
	require.Contains(t, summary.String(), "create 2, same 1")
	require.Contains(t, summary.String(), "up ecs-provider failed: ECS service did not reach steady state")
}

func TestConsumerFailureSkipsAcceptance(t *testing.T) {
	ev := &events{}
	ws := newFake(ev, "ecs-provider", "ec2-provider", "consumer")
	ws.stacks["ecs-provider"].accepts = true
	ws.stacks["consumer"].fail[Up] = errors.New("principal not allowed")
	results, err := Run(context.Background(), ws, Up, plan, io.Discard)
	require.ErrorContains(t, err, "up consumer (consumer stage): principal not allowed")
	require.Equal(t, Skipped, results[len(results)-1].Status)
}

func TestMissingStackRunsNothing(t *testing.T) {
	ev := &events{}
	ws := newFake(ev, "ecs-provider", "consumer")
	_, err := Run(context.Background(), ws, Up, plan, io.Discard)
	require.ErrorContains(t, err, `stack "ec2-provider" does not exist`)
	require.Empty(t, ev.all())
}

func TestProgressLinesArePrefixedByStack(t *testing.T) {
	ev := &events{}
	ws := newFake(ev, "ecs-provider", "ec2-provider", "consumer")
	var out bytes.Buffer
	_, err := Run(context.Background(), ws, Up, plan, &out)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 6, "two lines per stack, the partial one flushed at the end")
	for _, l := range lines {
		require.Regexp(t, `^\[(ecs-provider|ec2-provider|consumer)\] (up: working|partial line)$`, l)
	}
}

func TestRunRejectsBadPlans(t *testing.T) {
	ws := newFake(&events{}, "consumer")
	_, err := Run(context.Background(), ws, Up, Plan{Consumer: "consumer"}, io.Discard)
	require.ErrorContains(t, err, "at least one provider")
	_, err = Run(context.Background(), newFake(&events{}, "a", "consumer"), Op("refresh"), Plan{Providers: []string{"a"}, Consumer: "consumer"}, io.Discard)
	require.ErrorContains(t, err, `unknown operation "refresh"`)
}
