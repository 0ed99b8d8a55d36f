package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	bolt "go.etcd.io/bbolt"

	"github.com/private-apis/private-apis/apps/servekit"
)

// The benchmarks go through the real handler in-process, so they measure
// request parsing, validation, encoding and the store, but no network
// between client and server. The DynamoDB ones run against dynalite on
// loopback: its numbers show the code's behaviour (round trips, flat list
// cost), not DynamoDB's latency.

// benchStores are the stores the benchmarks compare, each fresh and empty.
var benchStores = []struct {
	name         string
	open         func(b *testing.B) Store
	seed         func(b *testing.B, s Store, owner string, n int) []string
	encodeCursor func(id string) string
}{
	{"bolt", func(b *testing.B) Store { return newTestBoltStore(b) }, seedBolt, encodeBoltCursor},
	{"dynamodb", func(b *testing.B) Store { return newDynaliteStore(b) }, seedDynamo, encodeDynamoCursor},
}

func BenchmarkCreate(b *testing.B) {
	for _, bs := range benchStores {
		b.Run(bs.name, func(b *testing.B) {
			h := NewServer(discardLogger(), &servekit.Health{}, bs.open(b))
			// Concurrent clients, as behind a load balancer: 4 per CPU.
			b.SetParallelism(4)
			var failures atomic.Int64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest("POST", "/todo", strings.NewReader("data=Write+new+AWS+blog+post"))
					req.Header.Set("Content-Type", formType)
					req.Header.Set("X-User-Id", "bench")
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != http.StatusCreated {
						failures.Add(1)
					}
				}
			})
			b.StopTimer()
			if n := failures.Load(); n > 0 {
				b.Fatalf("%d creates failed", n)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
		})
	}
}

// BenchmarkList lists one page of 50 from the middle of an owner's
// partition of N items, for two sizes of N. The page is a seek to the
// cursor plus 50 steps in both stores, so the time per page must not grow
// with N.
func BenchmarkList(b *testing.B) {
	for _, bs := range benchStores {
		b.Run(bs.name, func(b *testing.B) {
			for _, n := range []int{100, 10000} {
				b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
					s := bs.open(b)
					ids := bs.seed(b, s, "bench", n)
					// Other owners' items around it, so the partition is not
					// the whole table.
					bs.seed(b, s, "bench-before", 100)
					bs.seed(b, s, "bench-z", 100)
					h := NewServer(discardLogger(), &servekit.Health{}, s)
					target := "/todo?limit=50&cursor=" + bs.encodeCursor(ids[n/2-1])
					want := ids[n/2 : n/2+50]

					var rec *httptest.ResponseRecorder
					for b.Loop() {
						req := httptest.NewRequest("GET", target, nil)
						req.Header.Set("X-User-Id", "bench")
						rec = httptest.NewRecorder()
						h.ServeHTTP(rec, req)
					}
					var items []item
					if err := json.Unmarshal(rec.Body.Bytes(), &items); rec.Code != http.StatusOK || err != nil || len(items) != 50 || items[0].ID != want[0] || items[49].ID != want[49] {
						b.Fatalf("list: %d %v, %d items", rec.Code, err, len(items))
					}
				})
			}
		})
	}
}

// seedBolt writes n items for owner in one transaction and returns their
// ids in order.
func seedBolt(b *testing.B, s Store, owner string, n int) []string {
	b.Helper()
	bs := s.(*boltStore)
	ids := make([]string, n)
	err := bs.db.Update(func(tx *bolt.Tx) error {
		bk, err := tx.Bucket(boltRoot).CreateBucketIfNotExists([]byte(owner))
		if err != nil {
			return err
		}
		for i := range ids {
			ids[i] = newID()
			v, _ := json.Marshal(boltItem{Data: fmt.Sprint("seeded item ", i), CreatedAt: time.Now().UTC()})
			if err := bk.Put([]byte(ids[i]), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return ids
}

// seedDynamo writes n items for owner with BatchWriteItem, 25 per batch and
// several batches at a time, and returns their ids in order.
func seedDynamo(b *testing.B, s Store, owner string, n int) []string {
	b.Helper()
	ds := s.(*dynamoStore)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = newID()
	}
	batches := make(chan []string)
	var wg sync.WaitGroup
	var failed atomic.Value
	for range 8 {
		wg.Go(func() {
			for batch := range batches {
				if err := writeBatch(ds, owner, batch); err != nil {
					failed.Store(err)
				}
			}
		})
	}
	for i := 0; i < n; i += 25 {
		batches <- ids[i:min(i+25, n)]
	}
	close(batches)
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatalf("seeding %s: %v", ds.table, err)
	}
	return ids
}

func writeBatch(ds *dynamoStore, owner string, ids []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	created := time.Now().UTC().Format(time.RFC3339Nano)
	reqs := make([]types.WriteRequest, len(ids))
	for i, id := range ids {
		item := ds.key(owner, id)
		item["data"] = &types.AttributeValueMemberS{Value: "seeded item " + id}
		item["createdAt"] = &types.AttributeValueMemberS{Value: created}
		reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: item}}
	}
	pending := map[string][]types.WriteRequest{ds.table: reqs}
	for attempt := 0; len(pending[ds.table]) > 0; attempt++ {
		if attempt == 10 {
			return fmt.Errorf("%d items still unprocessed", len(pending[ds.table]))
		}
		out, err := ds.client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
		if err != nil {
			return err
		}
		pending = out.UnprocessedItems
		if len(pending[ds.table]) > 0 {
			time.Sleep(time.Duration(attempt+1) * 20 * time.Millisecond)
		}
	}
	return nil
}
