package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// boltStore keeps todos in a bbolt file, for local runs and single-instance
// deployments with a persistent volume. Inside the root bucket there is one
// bucket per owner, keyed by id; ids sort by creation time, so a bucket's
// key order is its creation order and a page is a cursor seek plus limit
// steps, whatever the bucket's size.
//
// bbolt fsyncs every committed write transaction (NoSync stays false), so
// once Create returns the item survives a crash of the process or the
// machine.
type boltStore struct {
	db *bolt.DB
	hooks
}

// boltFile is the database file's name inside DATA_DIR.
const boltFile = "todo.db"

var boltRoot = []byte("todos")

// boltItem is the stored value; the id is the key.
type boltItem struct {
	Data      string    `json:"data"`
	CreatedAt time.Time `json:"createdAt"`
}

// openBoltStore opens (creating if needed) dir/todo.db. bbolt holds an
// exclusive file lock while open, so a second process on the same directory
// gets an error after a second instead of waiting forever.
func openBoltStore(dir string) (*boltStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating DATA_DIR: %w", err)
	}
	path := filepath.Join(dir, boltFile)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("opening %s: the file is locked; is another todo process using DATA_DIR=%s?", path, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(boltRoot)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("initialising %s: %w", path, err)
	}
	return &boltStore{db: db, hooks: defaultHooks()}, nil
}

func (s *boltStore) Create(ctx context.Context, owner, data string) (Todo, error) {
	if err := ctx.Err(); err != nil {
		return Todo{}, err
	}
	item := boltItem{Data: data, CreatedAt: s.now().UTC()}
	value, err := json.Marshal(item)
	if err != nil {
		return Todo{}, err
	}
	id, err := createWithRetry(s.newID, func(id string) error {
		return s.db.Update(func(tx *bolt.Tx) error {
			b, err := tx.Bucket(boltRoot).CreateBucketIfNotExists([]byte(owner))
			if err != nil {
				return err
			}
			if b.Get([]byte(id)) != nil {
				return errIDConflict
			}
			return b.Put([]byte(id), value)
		})
	})
	if err != nil {
		return Todo{}, err
	}
	return Todo{ID: id, Data: item.Data, CreatedAt: item.CreatedAt}, nil
}

func (s *boltStore) Get(ctx context.Context, owner, id string) (Todo, error) {
	if err := ctx.Err(); err != nil {
		return Todo{}, err
	}
	var t Todo
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(boltRoot).Bucket([]byte(owner))
		if b == nil {
			return ErrNotFound
		}
		v := b.Get([]byte(id))
		if v == nil {
			return ErrNotFound
		}
		var err error
		t, err = decodeBoltItem([]byte(id), v)
		return err
	})
	return t, err
}

func (s *boltStore) Delete(ctx context.Context, owner, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(boltRoot).Bucket([]byte(owner))
		if b == nil || b.Get([]byte(id)) == nil {
			return ErrNotFound
		}
		return b.Delete([]byte(id))
	})
}

func (s *boltStore) List(ctx context.Context, owner string, limit int, cursor string) ([]Todo, string, error) {
	var after string
	if cursor != "" {
		var err error
		if after, err = decodeBoltCursor(cursor); err != nil {
			return nil, "", err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	items := make([]Todo, 0, limit)
	var next string
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(boltRoot).Bucket([]byte(owner))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		var k, v []byte
		if after == "" {
			k, v = c.First()
		} else {
			// Seek lands on the cursor's id, or on the next one if that
			// item has been deleted since.
			k, v = c.Seek([]byte(after))
			if k != nil && string(k) == after {
				k, v = c.Next()
			}
		}
		for ; k != nil; k, v = c.Next() {
			if len(items) == limit {
				// There is at least one more item: the page is full
				// and the client needs a cursor.
				next = encodeBoltCursor(items[len(items)-1].ID)
				return nil
			}
			t, err := decodeBoltItem(k, v)
			if err != nil {
				return err
			}
			items = append(items, t)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return items, next, nil
}

func (s *boltStore) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// A read transaction fails once the database is closed.
	return s.db.View(func(tx *bolt.Tx) error { return nil })
}

func (s *boltStore) Close() error { return s.db.Close() }

func decodeBoltItem(k, v []byte) (Todo, error) {
	var it boltItem
	if err := json.Unmarshal(v, &it); err != nil {
		return Todo{}, fmt.Errorf("decoding item %s: %w", k, err)
	}
	return Todo{ID: string(k), Data: it.Data, CreatedAt: it.CreatedAt}, nil
}

// A bolt cursor is the base64url of the last id of the page.
func encodeBoltCursor(id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(id))
}

// decodeBoltCursor returns the id in cursor, or ErrBadCursor unless cursor
// is exactly what encodeBoltCursor makes for a valid id.
func decodeBoltCursor(cursor string) (string, error) {
	if len(cursor) != base64.RawURLEncoding.EncodedLen(idLen) {
		return "", ErrBadCursor
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(cursor)
	if err != nil || !validID(string(b)) {
		return "", ErrBadCursor
	}
	return string(b), nil
}
