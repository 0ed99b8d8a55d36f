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
// Anything at path but a regular file (a directory, a symbolic link, even
// one to a keys file) is refused with an error saying to delete it.
func LoadAPIKeys(path string, clients []string) (map[string]APIKey, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("making the API keys' directory: %w", err)
	}
	unlock, err := lockFile(path + ".lock")
	if err != nil {
		return nil, fmt.Errorf("locking the API keys file: %w", err)
	}
	defer unlock()
	all, err := loadAndAddAPIKeys(path, clients)
	if errors.Is(err, fs.ErrExist) {
		// The file appeared between the look and the link: made by a
		// process that doesn't lock (lockFile is a no-op outside Unix).
		// Take its keys, once; under the lock nothing else makes it.
		all, err = loadAndAddAPIKeys(path, clients)
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("%s: something else keeps making it while the keys are written; stop whatever does, and delete it: %w", path, err)
		}
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

// loadAndAddAPIKeys reads the keys file at path, gives each client without
// a key one and writes the file if it did: fs.ErrExist when the file was
// missing and something made it before the new one was linked in place.
func loadAndAddAPIKeys(path string, clients []string) (map[string]APIKey, error) {
	exists, err := apiKeysFileExists(path)
	if err != nil {
		return nil, err
	}
	all := map[string]APIKey{}
	if exists {
		if all, err = readAPIKeys(path); err != nil {
			return nil, err
		}
	}
	added, err := addAPIKeys(all, clients)
	if err != nil || !added {
		return all, err
	}
	return all, writeAPIKeys(path, all, exists)
}

// apiKeysFileExists says whether there is a keys file at path, refusing
// anything there but a regular file: a directory, or a symbolic link (a
// dangling one would read as missing, yet take no link in its place).
func apiKeysFileExists(path string) (bool, error) {
	info, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("reading the API keys: %w", err)
	case info.IsDir():
		return false, fmt.Errorf("%s is a directory, not the API keys file: delete it and new keys are made", path)
	case info.Mode()&fs.ModeSymlink != 0:
		return false, fmt.Errorf("%s is a symbolic link, not a regular file: delete it and new keys are made (to keep keys, copy the file it points to there)", path)
	case !info.Mode().IsRegular():
		return false, fmt.Errorf("%s is not a regular file: delete it and new keys are made", path)
	}
	return true, nil
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
		return nil, fmt.Errorf("reading the API keys: %w", err)
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
