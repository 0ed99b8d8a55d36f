package localgw

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"slices"
)

// APIKey is one client's API key, as API Gateway makes them: an id (what
// the access log and the backends see) and the secret value callers send
// in x-api-key.
type APIKey struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

// The shapes of API Gateway's key ids (10 lower-case letters and digits)
// and key values (20 to 128 letters and digits; made ones have 40).
var (
	apiKeyIDPattern    = regexp.MustCompile(`^[a-z0-9]{10}$`)
	apiKeyValuePattern = regexp.MustCompile(`^[A-Za-z0-9]{20,128}$`)
)

const (
	apiKeyIDChars    = "abcdefghijklmnopqrstuvwxyz0123456789"
	apiKeyValueChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	apiKeyValueLen   = 40
)

// LoadAPIKeys returns the API key of each of clients, kept in the JSON file
// at path (readable by the user only) so keys stay the same across
// restarts: a client already in the file keeps its key, a new one gets a
// new key, added to the file. Entries of clients no longer configured stay
// in the file, should they come back, but are not returned, so the gateway
// refuses them. Two processes starting at once end up with the same keys.
func LoadAPIKeys(path string, clients []string) (map[string]APIKey, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("making the API keys' directory: %w", err)
	}
	unlock, err := lockFile(path + ".lock")
	if err != nil {
		return nil, fmt.Errorf("locking the API keys file: %w", err)
	}
	defer unlock()
	for {
		all, err := readAPIKeys(path)
		exists := err == nil
		if errors.Is(err, fs.ErrNotExist) {
			all, err = map[string]APIKey{}, nil
		}
		if err != nil {
			return nil, err
		}
		added, err := addAPIKeys(all, clients)
		if err != nil {
			return nil, err
		}
		if added {
			err = writeAPIKeys(path, all, exists)
		}
		if errors.Is(err, fs.ErrExist) {
			continue // another process made the file first: take its keys
		}
		if err != nil {
			return nil, err
		}
		out := make(map[string]APIKey, len(clients))
		for _, c := range clients {
			out[c] = all[c]
		}
		return out, nil
	}
}

// addAPIKeys gives each client without a key in all a new one, and says
// whether it added any.
func addAPIKeys(all map[string]APIKey, clients []string) (bool, error) {
	added := false
	for _, c := range clients {
		if _, ok := all[c]; ok {
			continue
		}
		id, err := randomString(apiKeyIDChars, 10)
		if err != nil {
			return false, err
		}
		value, err := randomString(apiKeyValueChars, apiKeyValueLen)
		if err != nil {
			return false, err
		}
		all[c], added = APIKey{ID: id, Value: value}, true
	}
	return added, nil
}

func readAPIKeys(path string) (map[string]APIKey, error) {
	body, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var all map[string]APIKey
	if err := json.Unmarshal(body, &all); err != nil {
		return nil, fmt.Errorf("%s: %w; delete it and new keys are made", path, err)
	}
	if all == nil {
		all = map[string]APIKey{}
	}
	values := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(all)) {
		k := all[name]
		switch {
		case !apiKeyIDPattern.MatchString(k.ID):
			return nil, fmt.Errorf("%s: %s's id %q is not 10 lower-case letters and digits; delete the entry and a new key is made", path, name, k.ID)
		case !apiKeyValuePattern.MatchString(k.Value):
			return nil, fmt.Errorf("%s: %s's value is not 20 to 128 letters and digits, as API Gateway requires; delete the entry and a new key is made", path, name)
		case values[k.Value] != "":
			return nil, fmt.Errorf("%s: %s and %s have the same key value, which API Gateway takes as one key; delete one entry and a new key is made", path, values[k.Value], name)
		}
		values[k.Value] = name
	}
	return all, nil
}

// writeAPIKeys writes the keys whole to a file of their own, then puts it
// in place: linked when there was no file (a link never replaces a name,
// so of two processes making the file the second finds the first's and
// takes its keys: fs.ErrExist), renamed over the old one otherwise (under
// the lock, so no other process is between its read and its write).
func writeAPIKeys(path string, all map[string]APIKey, exists bool) error {
	body, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the API keys: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".api-keys-*")
	if err != nil {
		return fmt.Errorf("writing the API keys: %w", err)
	}
	defer os.Remove(tmp.Name()) // the link or rename, if made, keeps the keys
	_, werr := tmp.Write(append(body, '\n'))
	if err := errors.Join(werr, tmp.Close()); err != nil {
		return fmt.Errorf("writing the API keys: %w", err)
	}
	if !exists {
		err = os.Link(tmp.Name(), path)
	} else {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("writing the API keys: %w", err)
	}
	return err
}

// randomString is n characters of chars, each uniformly chosen.
func randomString(chars string, n int) (string, error) {
	out := make([]byte, n)
	for i := range out {
		j, err := rand.Int(rand.Reader, big.NewInt(int64(len(chars))))
		if err != nil {
			return "", fmt.Errorf("making an API key: %w", err)
		}
		out[i] = chars[j.Int64()]
	}
	return string(out), nil
}
