package localgw

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestAPIKeysFile: the first start makes a key per client in a file only
// its user can read; a restart keeps them, a new client gets one, and a
// removed client's key stays in the file but is not handed out.
func TestAPIKeysFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".local", "api-keys.json")
	first, err := LoadAPIKeys(path, []string{"partner-a", "partner-b"})
	require.NoError(t, err)
	require.Len(t, first, 2)
	for name, k := range first {
		require.Regexp(t, `^[a-z0-9]{10}$`, k.ID, name)
		require.Regexp(t, `^[A-Za-z0-9]{40}$`, k.Value, name)
	}
	require.NotEqual(t, first["partner-a"], first["partner-b"])
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	again, err := LoadAPIKeys(path, []string{"partner-a", "partner-b"})
	require.NoError(t, err)
	require.Equal(t, first, again, "a restart keeps the keys")

	later, err := LoadAPIKeys(path, []string{"partner-a", "partner-c"})
	require.NoError(t, err)
	require.Equal(t, first["partner-a"], later["partner-a"])
	require.NotContains(t, later, "partner-b", "a removed client's key is not handed out")
	require.Regexp(t, `^[A-Za-z0-9]{40}$`, later["partner-c"].Value)
	info, err = os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "rewritten, still the user's only")

	var file map[string]APIKey
	body, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(body, &file))
	require.Equal(t, map[string]APIKey{"partner-a": first["partner-a"], "partner-b": first["partner-b"], "partner-c": later["partner-c"]}, file,
		"the removed client's key is kept, should it come back")

	back, err := LoadAPIKeys(path, []string{"partner-b"})
	require.NoError(t, err)
	require.Equal(t, first["partner-b"], back["partner-b"])

	none, err := LoadAPIKeys(filepath.Join(t.TempDir(), "api-keys.json"), nil)
	require.NoError(t, err)
	require.Empty(t, none)
}

func TestAPIKeysFileRefusesDamage(t *testing.T) {
	for name, tt := range map[string]struct{ body, want string }{
		"not JSON":       {"{", "delete it and new keys are made"},
		"a bad id":       {`{"a": {"id": "ABC", "value": "AAAAAAAAAAaaaaaaaaaa0000000000AAAAAAAAAA"}}`, `a's id "ABC" is not 10 lower-case letters and digits`},
		"a short value":  {`{"a": {"id": "a1b2c3d4e5", "value": "short"}}`, "a's value is not 20 to 128 letters and digits"},
		"a shared value": {`{"a": {"id": "a1b2c3d4e5", "value": "AAAAAAAAAAaaaaaaaaaa0000000000AAAAAAAAAA"}, "b": {"id": "f6g7h8i9j0", "value": "AAAAAAAAAAaaaaaaaaaa0000000000AAAAAAAAAA"}}`, "a and b have the same key value"},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "api-keys.json")
			require.NoError(t, os.WriteFile(path, []byte(tt.body), 0o600))
			_, err := LoadAPIKeys(path, []string{"a"})
			require.ErrorContains(t, err, path)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

// TestAPIKeysStartingTogether: make run started twice at once ends with one
// file, and both with the same keys.
func TestAPIKeysStartingTogether(t *testing.T) {
	path := filepath.Join(t.TempDir(), "api-keys.json")
	const n = 4
	keys := make([]map[string]APIKey, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], errs[i] = LoadAPIKeys(path, []string{"partner-a", "partner-b"}) })
	}
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i])
		require.Equal(t, keys[0], keys[i], "loader %d has other keys", i)
	}
	again, err := LoadAPIKeys(path, []string{"partner-a", "partner-b"})
	require.NoError(t, err)
	require.Equal(t, keys[0], again, "the file holds the keys every loader got")
	leftovers, err := filepath.Glob(filepath.Join(filepath.Dir(path), ".api-keys-*"))
	require.NoError(t, err)
	require.Empty(t, leftovers, "no temporary keys file is left behind")
}

// TestAPIKeysFileRefusesWhatIsNoFile: anything at the keys path but a
// regular file is refused at once, with the path and what to do; a
// dangling symbolic link once made the loader spin forever.
func TestAPIKeysFileRefusesWhatIsNoFile(t *testing.T) {
	for name, tt := range map[string]struct {
		make func(t *testing.T, path string)
		want string
	}{
		"a dangling symbolic link": {func(t *testing.T, path string) {
			require.NoError(t, os.Symlink(filepath.Join(t.TempDir(), "gone.json"), path))
		}, "is a symbolic link, not a regular file: delete it"},
		"a symbolic link to a keys file": {func(t *testing.T, path string) {
			target := filepath.Join(t.TempDir(), "keys.json")
			_, err := LoadAPIKeys(target, []string{"a"})
			require.NoError(t, err)
			require.NoError(t, os.Symlink(target, path))
		}, "is a symbolic link, not a regular file: delete it"},
		"a directory": {func(t *testing.T, path string) {
			require.NoError(t, os.Mkdir(path, 0o700))
		}, "is a directory, not the API keys file: delete it"},
		"a damaged file": {func(t *testing.T, path string) {
			require.NoError(t, os.WriteFile(path, []byte(`{"a": `), 0o600))
		}, "delete it and new keys are made"},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "api-keys.json")
			tt.make(t, path)
			err := loadGuarded(t, path, []string{"a"})
			require.ErrorContains(t, err, path)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

// loadGuarded is LoadAPIKeys's error, failing the test rather than hanging
// it should LoadAPIKeys never return (the guard is far beyond any run's
// time; it times nothing).
func loadGuarded(t *testing.T, path string, clients []string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := LoadAPIKeys(path, clients)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		t.Fatalf("LoadAPIKeys(%s) did not return", path)
		return nil
	}
}
