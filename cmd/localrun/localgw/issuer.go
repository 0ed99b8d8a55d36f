package localgw

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// LocalIssuer stands in for the consumer's jwtIssuer on this machine: it
// signs tokens in the issuer's name with an RSA key kept in a file, and
// the gateway trusts that key as the issuer's. Real tokens need the real
// issuer's keys (RemoteKeys).
type LocalIssuer struct {
	issuer string
	key    *rsa.PrivateKey
	keyID  string
}

// LoadLocalIssuer reads the signing key at path, creating it (readable by
// the user only) on first use, so tokens made by one `make token` stay
// valid across restarts of `make run`, and two processes starting at once
// end up with the same key.
func LoadLocalIssuer(path, issuer string) (*LocalIssuer, error) {
	key, err := readKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err = createKey(path)
	}
	if err != nil {
		return nil, err
	}
	thumb, err := (&jose.JSONWebKey{Key: &key.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("the local signing key's thumbprint: %w", err)
	}
	return &LocalIssuer{issuer: issuer, key: key, keyID: fmt.Sprintf("local-%x", thumb[:8])}, nil
}

func readKey(path string) (*rsa.PrivateKey, error) {
	body, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(body)
	if block == nil {
		return nil, fmt.Errorf("%s holds no PEM block; delete it and a new key is made", path)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w; delete it and a new key is made", path, err)
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s holds a %T, not an RSA key (API Gateway accepts RSA signatures only); delete it and a new key is made", path, parsed)
	}
	return key, nil
}

func createKey(path string) (*rsa.PrivateKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("making the local signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding the local signing key: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("making the local signing key's directory: %w", err)
	}
	// Written whole to a file of its own, then linked into place: a link
	// never replaces an existing name, so when two processes start at
	// once the second finds the first's complete key and uses it.
	tmp, err := os.CreateTemp(dir, ".jwt-signing-key-*")
	if err != nil {
		return nil, fmt.Errorf("writing the local signing key: %w", err)
	}
	defer os.Remove(tmp.Name()) // the link, if made, keeps the key
	_, werr := tmp.Write(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	if err := errors.Join(werr, tmp.Close()); err != nil {
		return nil, fmt.Errorf("writing the local signing key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return readKey(path)
	} else if err != nil {
		return nil, fmt.Errorf("writing the local signing key: %w", err)
	}
	return key, nil
}

// Issuer is the issuer the tokens name: the consumer's jwtIssuer.
func (li *LocalIssuer) Issuer() string { return li.issuer }

// Keys is the key set that verifies the local issuer's tokens: its one
// key, under its kid, as an issuer's JWKS holds it.
func (li *LocalIssuer) Keys() oidc.KeySet {
	return localKeys{keyID: li.keyID, keys: &oidc.StaticKeySet{PublicKeys: []crypto.PublicKey{&li.key.PublicKey}}}
}

// localKeys verifies a token whose kid names the local key, and no other,
// as a JWKS lookup by kid does (StaticKeySet alone ignores kid).
type localKeys struct {
	keyID string
	keys  *oidc.StaticKeySet
}

func (k localKeys) VerifySignature(ctx context.Context, token string) ([]byte, error) {
	jws, err := jose.ParseSigned(token, signingAlgorithms())
	if err != nil {
		return nil, fmt.Errorf("malformed jwt: %w", err)
	}
	if kid := jws.Signatures[0].Header.KeyID; kid != k.keyID {
		return nil, fmt.Errorf("no key with kid %q among the issuer's keys", kid)
	}
	return k.keys.VerifySignature(ctx, token)
}

// TokenRequest is what a token says.
type TokenRequest struct {
	Subject  string
	Audience string
	Scopes   []string
	// TTL is the token's lifetime from Now; a negative one makes a token
	// that has already expired.
	TTL time.Duration
	Now time.Time
}

// Token signs a token as an identity provider issues an access token: iss,
// sub, aud, iat, nbf, exp and, with scopes, a space-separated scope.
func (li *LocalIssuer) Token(req TokenRequest) (string, error) {
	if req.Subject == "" {
		return "", errors.New("a token needs a subject (sub), the caller's user id")
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: li.key, KeyID: li.keyID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", fmt.Errorf("a signer for the local key: %w", err)
	}
	issued := req.Now
	if req.TTL < 0 {
		// An expired token was valid once: issued before it expired.
		issued = req.Now.Add(2 * req.TTL)
	}
	claims := jwt.Claims{
		Issuer:    li.issuer,
		Subject:   req.Subject,
		Audience:  jwt.Audience{req.Audience},
		IssuedAt:  jwt.NewNumericDate(issued),
		NotBefore: jwt.NewNumericDate(issued),
		Expiry:    jwt.NewNumericDate(req.Now.Add(req.TTL)),
	}
	builder := jwt.Signed(signer).Claims(claims)
	if len(req.Scopes) > 0 {
		builder = builder.Claims(map[string]any{"scope": strings.Join(req.Scopes, " ")})
	}
	token, err := builder.Serialize()
	if err != nil {
		return "", fmt.Errorf("signing the token: %w", err)
	}
	return token, nil
}

// RemoteKeys are the issuer's published keys, found as API Gateway finds
// them: from the jwks_uri of the issuer's OpenID discovery document
// (<issuer>/.well-known/openid-configuration), fetched again when a token
// names a key not yet seen, each request with client (nil: a client that
// gives each request 10 s, so an issuer that hangs fails the start or one
// request rather than hanging them). ctx bounds the discovery only: the
// key set refetches for as long as the gateway runs.
func RemoteKeys(ctx context.Context, client *http.Client, issuer string) (oidc.KeySet, error) {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	ctx = oidc.ClientContext(ctx, client)
	p, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		return nil, fmt.Errorf("OpenID discovery at %s/.well-known/openid-configuration: %w", strings.TrimSuffix(issuer, "/"), err)
	}
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := p.Claims(&meta); err != nil {
		return nil, fmt.Errorf("reading %s's discovery document: %w", issuer, err)
	}
	if meta.JWKSURI == "" {
		return nil, fmt.Errorf("%s's discovery document names no jwks_uri", issuer)
	}
	return oidc.NewRemoteKeySet(ctx, meta.JWKSURI), nil
}
