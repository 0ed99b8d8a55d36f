package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/private-apis/private-apis/cmd/localrun/localgw"
)

// Where the JWT authorization's keys come from: the local signing key, or
// the issuer's published keys.
const (
	jwtKeysLocal  = "local"
	jwtKeysRemote = "remote"
)

// signingKeyFile is the local issuer's key, under the local directory.
const signingKeyFile = "jwt-signing-key.pem"

// resolveJWTKeys finds the keys that verify tokens when the consumer's
// stack file turns authorization on: the local issuer's, which `make token`
// signs with, or the real issuer's, by OpenID discovery.
func (o *options) resolveJWTKeys(ctx context.Context) error {
	if o.JWT == nil && o.JWTKeysFrom == jwtKeysRemote {
		return fmt.Errorf("JWT_ISSUER_KEYS=remote, but %s sets no private-apis:jwtIssuer, so no route asks for a token: set it, or drop JWT_ISSUER_KEYS", localgw.ConsumerFile)
	}
	if o.JWT == nil {
		return nil
	}
	if o.JWTKeysFrom == jwtKeysRemote {
		keys, err := localgw.RemoteKeys(ctx, nil, o.JWT.Issuer)
		if err != nil {
			return fmt.Errorf("JWT_ISSUER_KEYS=remote finds the keys of private-apis:jwtIssuer in %s: %w; check the issuer there, or drop JWT_ISSUER_KEYS to use make token's local key", localgw.ConsumerFile, err)
		}
		o.JWTKeys = keys
		return nil
	}
	issuer, err := localgw.LoadLocalIssuer(filepath.Join(o.LocalDir, signingKeyFile), o.JWT.Issuer)
	if err != nil {
		return err
	}
	o.JWTKeys = issuer.Keys()
	return nil
}

// runToken is `localrun token` (`make token`): it prints one token signed
// by the local issuer for the consumer's jwtIssuer, and nothing else on
// stdout, so TOKEN=$(make -s token SUB=alice) works.
func runToken(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("localrun token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sub := fs.String("sub", getenv("SUB"), "the caller's user id, the token's sub (env SUB); required")
	scope := fs.String("scope", getenv("SCOPE"), "space-separated scopes, e.g. todo/write (env SCOPE)")
	aud := fs.String("aud", getenv("AUD"), "the audience (env AUD; default the first of jwtAudiences)")
	ttl := fs.String("ttl", envOr(getenv, "TTL", "1h"), "the token's lifetime, a Go duration; negative for an expired token (env TTL)")
	repo := fs.String("repo", "", "the repository root (default: found from the working directory)")
	localDir := fs.String("local-dir", "", "where the signing key is kept (default <repo>/.local)")
	if err := fs.Parse(args[1:]); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	lifetime, err := time.ParseDuration(*ttl)
	if err != nil {
		return fmt.Errorf("TTL %q is not a Go duration, e.g. 1h, 15m or -5m", *ttl)
	}
	if *sub == "" {
		return errors.New("SUB names the caller, the token's subject: make token SUB=alice")
	}
	root, local, err := locate(*repo, *localDir)
	if err != nil {
		return err
	}
	stack, err := localgw.LoadStackConfig(root)
	if err != nil {
		return err
	}
	switch {
	case stack.REST != nil:
		return fmt.Errorf("%s chooses a REST API (private-apis:apiType rest), whose callers send API keys, not tokens: make run prints them, and keeps them in %s", localgw.ConsumerFile, filepath.Join(local, apiKeysFile))
	case stack.JWT == nil:
		return fmt.Errorf("%s sets no private-apis:jwtIssuer, so make run asks for no token: add the README's JWT snippet to it", localgw.ConsumerFile)
	case len(stack.JWT.Audiences) == 0:
		return fmt.Errorf("%s sets private-apis:jwtIssuer but no private-apis:jwtAudiences, the audiences (client IDs) a token is for: add one", localgw.ConsumerFile)
	}
	audience := *aud
	if audience == "" {
		audience = stack.JWT.Audiences[0]
	}
	issuer, err := localgw.LoadLocalIssuer(filepath.Join(local, signingKeyFile), stack.JWT.Issuer)
	if err != nil {
		return err
	}
	token, err := issuer.Token(localgw.TokenRequest{Subject: *sub, Audience: audience, Scopes: strings.Fields(*scope), TTL: lifetime, Now: time.Now()})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, token)
	return err
}
