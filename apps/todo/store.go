package main

import (
	"context"
	"errors"
	"time"
)

// Todo is one stored item. The owner is not part of it: every store call is
// already scoped to an owner, and responses never reveal it.
type Todo struct {
	ID        string
	Data      string
	CreatedAt time.Time
}

// Store keeps todos per owner. Every method that takes an owner only ever
// sees that owner's items, so one user can never read, list or delete
// another's. owner and id are validated by the caller (validOwner, validID);
// cursor is whatever the client sent and is validated by the store.
type Store interface {
	// Create stores data under a new id and returns the item once it is
	// durable. It never overwrites an existing item.
	Create(ctx context.Context, owner, data string) (Todo, error)
	// Get returns ErrNotFound if owner has no item id.
	Get(ctx context.Context, owner, id string) (Todo, error)
	// Delete returns ErrNotFound if owner has no item id.
	Delete(ctx context.Context, owner, id string) error
	// List returns up to limit of owner's items in ascending id (that is,
	// creation) order, starting after cursor ("" for the first page), and
	// the cursor of the next page, or "" if this is the last one. A
	// cursor that the store did not produce is ErrBadCursor. The cost of
	// a call depends on limit, never on how many items owner has.
	List(ctx context.Context, owner string, limit int, cursor string) (items []Todo, next string, err error)
	// Ping is a cheap check that the store can serve requests.
	Ping(ctx context.Context) error
	Close() error
}

var (
	// ErrNotFound means the owner has no item with that id.
	ErrNotFound = errors.New("todo not found")
	// ErrBadCursor means a list cursor was not one the store issued.
	ErrBadCursor = errors.New("invalid list cursor")
	// errIDConflict means a freshly generated id was already taken twice
	// in a row. It is not the client's fault; the handler reports the
	// store as unavailable.
	errIDConflict = errors.New("todo id already exists")
)

// hooks are the id generator and clock a store uses for new items; tests
// replace them to force id conflicts.
type hooks struct {
	newID func() string
	now   func() time.Time
}

func defaultHooks() hooks { return hooks{newID: newID, now: time.Now} }

// createWithRetry runs put with a new id, and once more with another new id
// if put reports errIDConflict. Both stores make the conflict check part of
// the write itself, so a conflict never overwrites anything.
func createWithRetry(newID func() string, put func(id string) error) (string, error) {
	for range 2 {
		id := newID()
		err := put(id)
		if errors.Is(err, errIDConflict) {
			continue
		}
		return id, err
	}
	return "", errIDConflict
}

// validOwner reports whether owner is 1 to 128 characters of
// [A-Za-z0-9._@|:-], the X-User-Id format.
func validOwner(owner string) bool {
	if len(owner) < 1 || len(owner) > 128 {
		return false
	}
	for i := range len(owner) {
		c := owner[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.', c == '_', c == '@', c == '|', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}
