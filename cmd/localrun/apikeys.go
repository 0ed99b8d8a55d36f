package main

import (
	"fmt"
	"path/filepath"

	"github.com/private-apis/private-apis/cmd/localrun/localgw"
)

// apiKeysFile keeps a REST API's clients' keys, under the local directory.
const apiKeysFile = "api-keys.json"

// resolveAPIKeys reads, or makes, the API key of each of the REST API's
// clients, kept in the local directory so they survive restarts.
func (o *options) resolveAPIKeys() error {
	if o.REST == nil || len(o.REST.Clients) == 0 {
		return nil
	}
	keys, err := localgw.LoadAPIKeys(filepath.Join(o.LocalDir, apiKeysFile), o.REST.Clients.Names())
	if err != nil {
		return fmt.Errorf("the API keys of private-apis:clients: %w", err)
	}
	o.APIKeys = keys
	return nil
}
