package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/private-apis/private-apis/apps/servekit/servekittest"
)

// testStore is the contract every Store implementation must meet. newStore
// returns a fresh, empty store that is closed when the test ends.
func testStore(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()

	t.Run("create and get", func(t *testing.T) {
		s := newStore(t)
		before := time.Now()
		created, err := s.Create(ctx, "alice", "Write new AWS blog post")
		if err != nil {
			t.Fatal(err)
		}
		if !validID(created.ID) || created.Data != "Write new AWS blog post" {
			t.Fatalf("Create = %+v", created)
		}
		if created.CreatedAt.Before(before.Add(-time.Millisecond)) || created.CreatedAt.After(time.Now()) {
			t.Errorf("CreatedAt = %v, want between %v and now", created.CreatedAt, before)
		}
		got, err := s.Get(ctx, "alice", created.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != created.ID || got.Data != created.Data || !got.CreatedAt.Equal(created.CreatedAt) {
			t.Errorf("Get = %+v, want %+v", got, created)
		}
	})

	t.Run("get missing", func(t *testing.T) {
		s := newStore(t)
		// An owner with no items at all, and one with other items.
		if _, err := s.Get(ctx, "alice", newID()); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get on an empty owner: %v, want ErrNotFound", err)
		}
		mustCreate(t, s, "alice", "x")
		if _, err := s.Get(ctx, "alice", newID()); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get of a missing id: %v, want ErrNotFound", err)
		}
	})

	t.Run("delete", func(t *testing.T) {
		s := newStore(t)
		a := mustCreate(t, s, "alice", "a")
		b := mustCreate(t, s, "alice", "b")
		if err := s.Delete(ctx, "alice", a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "alice", a.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get after Delete: %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, "alice", a.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("second Delete: %v, want ErrNotFound", err)
		}
		if _, err := s.Get(ctx, "alice", b.ID); err != nil {
			t.Errorf("the other item is gone: %v", err)
		}
		if got := listAll(t, s, "alice", 10); !slices.Equal(got, []string{b.ID}) {
			t.Errorf("List after Delete = %v, want [%s]", got, b.ID)
		}
	})

	t.Run("delete missing", func(t *testing.T) {
		s := newStore(t)
		if err := s.Delete(ctx, "alice", newID()); !errors.Is(err, ErrNotFound) {
			t.Errorf("Delete on an empty owner: %v, want ErrNotFound", err)
		}
		mustCreate(t, s, "alice", "x")
		if err := s.Delete(ctx, "alice", newID()); !errors.Is(err, ErrNotFound) {
			t.Errorf("Delete of a missing id: %v, want ErrNotFound", err)
		}
	})

	t.Run("owner isolation", func(t *testing.T) {
		s := newStore(t)
		a := mustCreate(t, s, "alice", "alice's")
		// Owners whose names contain each other, or a separator.
		for _, other := range []string{"bob", "alic", "alice2", "alice|x", "ALICE", "anonymous"} {
			if _, err := s.Get(ctx, other, a.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("%s got alice's item: %v", other, err)
			}
			if err := s.Delete(ctx, other, a.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("%s deleted alice's item: %v", other, err)
			}
			if got := listAll(t, s, other, 100); len(got) != 0 {
				t.Errorf("%s lists %v", other, got)
			}
		}
		b := mustCreate(t, s, "bob", "bob's")
		if got := listAll(t, s, "alice", 100); !slices.Equal(got, []string{a.ID}) {
			t.Errorf("alice lists %v, want only [%s]", got, a.ID)
		}
		if got := listAll(t, s, "bob", 100); !slices.Equal(got, []string{b.ID}) {
			t.Errorf("bob lists %v, want only [%s]", got, b.ID)
		}
		if _, err := s.Get(ctx, "alice", a.ID); err != nil {
			t.Errorf("alice's item is gone: %v", err)
		}
	})

	t.Run("list order and pagination", func(t *testing.T) {
		s := newStore(t)
		if items, next, err := s.List(ctx, "alice", 50, ""); err != nil || items == nil || len(items) != 0 || next != "" {
			t.Errorf("List of an empty owner = %v, %q, %v; want an empty non-nil slice and no cursor", items, next, err)
		}
		var want []string
		for i := range 7 {
			want = append(want, mustCreate(t, s, "alice", fmt.Sprint("item ", i)).ID)
		}
		mustCreate(t, s, "bob", "not alice's")
		if !slices.IsSorted(want) {
			t.Fatalf("ids made one after another are not in order: %v", want)
		}
		for _, limit := range []int{1, 2, 3, 6, 7, 8, 100} {
			t.Run(fmt.Sprint("limit=", limit), func(t *testing.T) {
				var got []string
				cursor, pages := "", 0
				for {
					items, next, err := s.List(ctx, "alice", limit, cursor)
					if err != nil {
						t.Fatal(err)
					}
					pages++
					if len(items) > limit || (next != "" && len(items) != limit) {
						t.Fatalf("page %d has %d items with limit %d and next %q", pages, len(items), limit, next)
					}
					for _, it := range items {
						got = append(got, it.ID)
						if !strings.HasPrefix(it.Data, "item ") {
							t.Errorf("item %s has data %q", it.ID, it.Data)
						}
					}
					if next == "" {
						break
					}
					if pages > len(want) {
						t.Fatal("pagination does not end")
					}
					cursor = next
				}
				// Exactly the items, in creation order, each once, and no
				// cursor to an empty last page.
				if !slices.Equal(got, want) {
					t.Errorf("pages gave %v, want %v", got, want)
				}
				if wantPages := (len(want) + limit - 1) / limit; pages != wantPages {
					t.Errorf("%d pages, want %d", pages, wantPages)
				}
			})
		}
	})

	t.Run("cursor of a deleted item", func(t *testing.T) {
		s := newStore(t)
		var ids []string
		for i := range 5 {
			ids = append(ids, mustCreate(t, s, "alice", fmt.Sprint(i)).ID)
		}
		page, next, err := s.List(ctx, "alice", 2, "")
		if err != nil || len(page) != 2 || next == "" {
			t.Fatalf("first page: %v, %q, %v", page, next, err)
		}
		// The page's last item goes away before the client asks for the
		// next page: the listing carries on after it.
		if err := s.Delete(ctx, "alice", ids[1]); err != nil {
			t.Fatal(err)
		}
		page, _, err = s.List(ctx, "alice", 10, next)
		if err != nil {
			t.Fatal(err)
		}
		if got := todoIDs(page); !slices.Equal(got, ids[2:]) {
			t.Errorf("next page = %v, want %v", got, ids[2:])
		}
	})

	t.Run("bad cursor", func(t *testing.T) {
		s := newStore(t)
		mustCreate(t, s, "alice", "x")
		mustCreate(t, s, "alice", "y")
		_, valid, err := s.List(ctx, "alice", 1, "")
		if err != nil || valid == "" {
			t.Fatalf("no cursor from a full page: %q, %v", valid, err)
		}
		id := newID()
		b64 := base64.RawURLEncoding.EncodeToString
		bad := []string{
			"x", "not a cursor", "%%%", strings.Repeat("A", 5000),
			valid + "A", valid[:len(valid)-1], valid + "=",
			base64.URLEncoding.EncodeToString([]byte(id)), // padded
			base64.StdEncoding.EncodeToString([]byte(`{"id":"` + id + `"}`)),
			b64([]byte(strings.ToLower(id))),
			b64([]byte(id[:25])),
			b64([]byte(id + "0")),
			b64([]byte("Z" + id[1:])), // over 128 bits
			b64([]byte(`{"id":"` + strings.ToLower(id) + `"}`)),
			b64([]byte(`{"id":""}`)),
			b64([]byte(`{}`)),
			b64([]byte(`null`)),
			b64([]byte(`{"id":"` + id + `"} `)),
			b64([]byte(`{"id":1}`)),
			b64([]byte("\x00" + id[1:])),
		}
		for _, c := range bad {
			if items, _, err := s.List(ctx, "alice", 10, c); !errors.Is(err, ErrBadCursor) {
				t.Errorf("List with cursor %q = %v, %v; want ErrBadCursor", c, items, err)
			}
		}
	})

	t.Run("forged cursor", func(t *testing.T) {
		s := newStore(t)
		a := mustCreate(t, s, "alice", "alice's")
		b := mustCreate(t, s, "bob", "bob's")
		b64 := base64.RawURLEncoding.EncodeToString
		// Cursors that try to name another owner's partition or key.
		forged := []string{
			b64([]byte(`{"id":"` + a.ID + `","owner":"alice"}`)),
			b64([]byte(`{"owner":"alice","id":"` + a.ID + `"}`)),
			b64([]byte(`{"id":"` + a.ID + `","Owner":{"S":"alice"}}`)),
			b64([]byte(`{"id":{"S":"` + a.ID + `"}}`)),
			b64([]byte("alice/" + a.ID)),
			b64([]byte("alice\x00" + a.ID)),
			b64([]byte(`{"id":"` + a.ID + `","id":"` + a.ID + `"}`)),
		}
		for _, c := range forged {
			if items, _, err := s.List(ctx, "bob", 10, c); !errors.Is(err, ErrBadCursor) {
				t.Errorf("List with forged cursor %q = %v, %v; want ErrBadCursor", c, items, err)
			}
		}
		// A well-formed cursor only ever positions within the caller's
		// own items, whoever's id it carries.
		for _, c := range []string{encodeBoltCursor(a.ID), encodeDynamoCursor(a.ID)} {
			items, _, err := s.List(ctx, "bob", 10, c)
			if errors.Is(err, ErrBadCursor) {
				continue // the other store's format
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range items {
				if it.ID != b.ID {
					t.Errorf("bob's listing with a cursor from alice's id returned %+v", it)
				}
			}
		}
	})

	t.Run("concurrent creates", func(t *testing.T) {
		s := newStore(t)
		const workers, each = 8, 10
		var mu sync.Mutex
		var created []string
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					it, err := s.Create(ctx, "alice", fmt.Sprintf("worker %d item %d", w, i))
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					created = append(created, it.ID)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		slices.Sort(created)
		if len(slices.Compact(slices.Clone(created))) != workers*each {
			t.Fatalf("%d distinct ids from %d creates", len(slices.Compact(slices.Clone(created))), workers*each)
		}
		if got := listAll(t, s, "alice", 7); !slices.Equal(got, created) {
			t.Errorf("listing has %d items, want the %d created, in id order", len(got), len(created))
		}
	})

	t.Run("data round trip", func(t *testing.T) {
		s := newStore(t)
		datas := []string{
			"Write new AWS blog post",
			`"quoted" 'single' \backslash\ {"id":"x","data":"y"}`,
			"line\nbreak\ttab\r\x00nul",
			"héllo wörld — ünïcödé 日本語 🐶🐕‍🦺",
			"<script>alert(1)</script> & %41 + =",
			" leading and trailing spaces ",
			strings.Repeat("é", maxDataRunes),
			strings.Repeat("🐶", maxDataRunes),
		}
		var want []string
		for _, d := range datas {
			it := mustCreate(t, s, "alice", d)
			want = append(want, it.ID)
			got, err := s.Get(ctx, "alice", it.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Data != d {
				t.Errorf("Get data = %q, want %q", got.Data, d)
			}
		}
		items, _, err := s.List(ctx, "alice", 100, "")
		if err != nil {
			t.Fatal(err)
		}
		for i, it := range items {
			if it.ID != want[i] || it.Data != datas[i] {
				t.Errorf("List item %d = %q %q, want %q %q", i, it.ID, it.Data, want[i], datas[i])
			}
		}
	})

	t.Run("create never overwrites", func(t *testing.T) {
		s := newStore(t)
		taken := mustCreate(t, s, "alice", "first").ID
		fresh := newID()
		// The first new id is taken: the store retries with another.
		setHooks(t, s, sequence(taken, fresh), time.Now)
		it, err := s.Create(ctx, "alice", "second")
		if err != nil || it.ID != fresh {
			t.Fatalf("Create with a taken id = %+v, %v; want id %s", it, err, fresh)
		}
		// Taken twice in a row: an error, and nothing changes.
		setHooks(t, s, sequence(taken, fresh), time.Now)
		if it, err := s.Create(ctx, "alice", "third"); err == nil {
			t.Fatalf("Create with two taken ids = %+v, want an error", it)
		}
		if got, err := s.Get(ctx, "alice", taken); err != nil || got.Data != "first" {
			t.Errorf("the first item is now %+v, %v", got, err)
		}
		if got, err := s.Get(ctx, "alice", fresh); err != nil || got.Data != "second" {
			t.Errorf("the second item is now %+v, %v", got, err)
		}
		// The same id for another owner is no conflict.
		setHooks(t, s, sequence(taken), time.Now)
		if it, err := s.Create(ctx, "bob", "bob's"); err != nil || it.ID != taken {
			t.Errorf("Create for bob = %+v, %v", it, err)
		}
		if got := listAll(t, s, "alice", 100); len(got) != 2 {
			t.Errorf("alice has %v, want 2 items", got)
		}
	})

	t.Run("cancelled context writes nothing", func(t *testing.T) {
		s := newStore(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Create(cctx, "alice", "x"); err == nil {
			t.Error("Create with a cancelled context succeeded")
		}
		if got := listAll(t, s, "alice", 100); len(got) != 0 {
			t.Errorf("alice has %v after a cancelled Create", got)
		}
	})

	t.Run("ping", func(t *testing.T) {
		s := newStore(t)
		if err := s.Ping(ctx); err != nil {
			t.Error(err)
		}
	})
}

func mustCreate(t testing.TB, s Store, owner, data string) Todo {
	t.Helper()
	it, err := s.Create(context.Background(), owner, data)
	if err != nil {
		t.Fatalf("Create(%q, %q): %v", owner, data, err)
	}
	return it
}

// listAll pages through owner's items and returns their ids.
func listAll(t testing.TB, s Store, owner string, limit int) []string {
	t.Helper()
	ids := []string{}
	cursor := ""
	for range 100000 {
		items, next, err := s.List(context.Background(), owner, limit, cursor)
		if err != nil {
			t.Fatalf("List(%q, %d, %q): %v", owner, limit, cursor, err)
		}
		ids = append(ids, todoIDs(items)...)
		if next == "" {
			return ids
		}
		cursor = next
	}
	t.Fatal("pagination does not end")
	return nil
}

func todoIDs(items []Todo) []string {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	return ids
}

// setHooks gives s, one of the real stores, newID and now for its new items.
func setHooks(t *testing.T, s Store, newID func() string, now func() time.Time) {
	t.Helper()
	switch s := s.(type) {
	case *boltStore:
		s.newID, s.now = newID, now
	case *dynamoStore:
		s.newID, s.now = newID, now
	default:
		t.Fatalf("%T is not a store with id hooks", s)
	}
}

// sequence returns an id generator that hands out ids in order, then fresh
// ones.
func sequence(ids ...string) func() string {
	var mu sync.Mutex
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		if len(ids) == 0 {
			return newID()
		}
		id := ids[0]
		ids = ids[1:]
		return id
	}
}

func newTestBoltStore(t testing.TB) *boltStore {
	t.Helper()
	s, err := openBoltStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestBoltStore(t *testing.T) {
	testStore(t, func(t *testing.T) Store { return newTestBoltStore(t) })
}

func TestDynamoStore(t *testing.T) {
	testStore(t, func(t *testing.T) Store { return newDynaliteStore(t) })
}

func TestBoltStoreDurableAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := openBoltStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	it := mustCreate(t, s, "alice", "kept")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = openBoltStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, err := s.Get(context.Background(), "alice", it.ID); err != nil || got.Data != "kept" {
		t.Errorf("after reopening: %+v, %v", got, err)
	}
}

func TestBoltStoreLocked(t *testing.T) {
	dir := t.TempDir()
	s, err := openBoltStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	_, err = openBoltStore(dir)
	if err == nil || !strings.Contains(err.Error(), "locked") || !strings.Contains(err.Error(), dir) {
		t.Errorf("second open: %v, want an error saying the file in %s is locked", err, dir)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("second open took %s", d)
	}
}

func TestBoltStoreClosed(t *testing.T) {
	s, err := openBoltStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	ctx := context.Background()
	if err := s.Ping(ctx); err == nil {
		t.Error("Ping on a closed store succeeded")
	}
	if _, err := s.Create(ctx, "alice", "x"); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("Create on a closed store: %v", err)
	}
	if _, _, err := s.List(ctx, "alice", 1, ""); err == nil {
		t.Error("List on a closed store succeeded")
	}
}

func TestDynamoStoreOwnRetriedWrite(t *testing.T) {
	// A PutItem that was written but whose response was lost is retried
	// by the SDK, and the retry fails attribute_not_exists(id) on our own
	// item. That must count as success, not as a conflict that makes a
	// duplicate under a new id.
	s := newDynaliteStore(t)
	at := time.Now()
	id := newID()
	s.newID, s.now = sequence(id), func() time.Time { return at }
	mustCreate(t, s, "alice", "once")
	s.newID, s.now = sequence(id), func() time.Time { return at }
	it, err := s.Create(context.Background(), "alice", "once")
	if err != nil || it.ID != id {
		t.Fatalf("replayed Create = %+v, %v; want success with id %s", it, err, id)
	}
	if got := listAll(t, s, "alice", 100); !slices.Equal(got, []string{id}) {
		t.Errorf("alice has %v, want only %s", got, id)
	}
	// Same id, different data: a real conflict, so a new id.
	s.newID, s.now = sequence(id), func() time.Time { return at }
	it, err = s.Create(context.Background(), "alice", "other")
	if err != nil || it.ID == id {
		t.Fatalf("conflicting Create = %+v, %v; want a new id", it, err)
	}
}

func TestDynamoStoreUnavailable(t *testing.T) {
	ctx := context.Background()
	t.Run("missing table", func(t *testing.T) {
		s := newDynamoStore(dynaliteClient(t), "no-such-table")
		if err := s.Ping(ctx); err == nil {
			t.Error("Ping succeeded")
		}
		if _, err := s.Create(ctx, "alice", "x"); err == nil || errors.Is(err, errIDConflict) {
			t.Errorf("Create: %v", err)
		}
		if _, err := s.Get(ctx, "alice", newID()); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("Get: %v, want an error other than ErrNotFound", err)
		}
		if err := s.Delete(ctx, "alice", newID()); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("Delete: %v, want an error other than ErrNotFound", err)
		}
		if _, _, err := s.List(ctx, "alice", 1, ""); err == nil || errors.Is(err, ErrBadCursor) {
			t.Errorf("List: %v", err)
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		port := servekittest.FreePort(t)
		client, table := newDynaliteTable(t)
		// The same client settings, pointed at a port nobody listens on.
		opts := client.Options()
		opts.BaseEndpoint = aws.String(fmt.Sprintf("http://127.0.0.1:%d", port))
		s := newDynamoStore(dynamodb.New(opts), table)
		s.timeout = 300 * time.Millisecond
		start := time.Now()
		if _, err := s.Create(ctx, "alice", "x"); err == nil {
			t.Error("Create succeeded")
		}
		if err := s.Ping(ctx); err == nil {
			t.Error("Ping succeeded")
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("two calls took %s with a %s timeout", d, s.timeout)
		}
	})
}
