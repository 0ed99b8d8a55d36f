package localgw

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/private-apis/private-apis/apirules"
)

// authorizer checks a request's token as API Gateway's JWT authorizer does
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html):
// the token is the Authorization header, alone or after "Bearer "; its
// signature is checked against the issuer's keys, RSA algorithms only; iss
// must be the issuer; aud, or client_id when there is no aud, one of the
// audiences; exp after now, nbf and iat before it; the kid header must name
// the key that signed it; and on a route with scopes, scope or scp must
// hold one of them. go-oidc checks the signature, iss and exp, the rest is
// here.
type authorizer struct {
	rules    *apirules.JWTAuth
	verifier *oidc.IDTokenVerifier
	now      func() time.Time
}

// rsaAlgorithms are the signing algorithms API Gateway's JWT authorizer
// accepts: "Currently, only RSA-based algorithms are supported." Taken as
// RSASSA-PKCS1-v1_5 (RS256, RS384, RS512), which identity providers sign
// access tokens with; RSASSA-PSS (PS256...) is left out, a choice, since
// AWS names no algorithm.
var rsaAlgorithms = []string{oidc.RS256, oidc.RS384, oidc.RS512}

func signingAlgorithms() []jose.SignatureAlgorithm {
	out := make([]jose.SignatureAlgorithm, len(rsaAlgorithms))
	for i, a := range rsaAlgorithms {
		out[i] = jose.SignatureAlgorithm(a)
	}
	return out
}

func newAuthorizer(rules *apirules.JWTAuth, keys oidc.KeySet, now func() time.Time) *authorizer {
	return &authorizer{
		rules: rules,
		verifier: oidc.NewVerifier(rules.Issuer, keys, &oidc.Config{
			// The audience rule is API Gateway's (aud, else client_id, any
			// of several), not OpenID Connect's; checked in claims.
			SkipClientIDCheck:    true,
			SupportedSigningAlgs: rsaAlgorithms,
			Now:                  now,
		}),
		now: now,
	}
}

// denial is an authorizer's refusal: the status API Gateway answers with,
// and what was wrong, for the access log's authorizerError and the
// www-authenticate header.
type denial struct {
	status int
	reason string
}

func (d *denial) Error() string { return d.reason }

// authorize returns the caller's subject for a route that needs a token
// with one of scopes (none: any valid token), or why it is refused.
func (a *authorizer) authorize(ctx context.Context, r *http.Request, scopes []string) (string, *denial) {
	raw := strings.TrimSpace(r.Header.Get("Authorization"))
	raw = strings.TrimSpace(strings.TrimPrefix(raw, "Bearer "))
	if raw == "" {
		return "", &denial{http.StatusUnauthorized, "no token in the Authorization header"}
	}
	// API Gateway: "kid - The token must have a header claim that matches
	// the key in the jwks_uri that signed the token." go-oidc tries every
	// key when there is none, so an absent kid is refused here, and a kid
	// naming no key by the key set.
	if jws, err := jose.ParseSigned(raw, signingAlgorithms()); err == nil && jws.Signatures[0].Header.KeyID == "" {
		return "", &denial{http.StatusUnauthorized, "the token has no kid header naming the key that signed it"}
	}
	tok, err := a.verifier.Verify(ctx, raw)
	if err != nil {
		return "", &denial{http.StatusUnauthorized, "invalid token: " + err.Error()}
	}
	var c tokenClaims
	if err := tok.Claims(&c); err != nil {
		return "", &denial{http.StatusUnauthorized, "invalid token claims: " + err.Error()}
	}
	if reason := a.checkClaims(c); reason != "" {
		return "", &denial{http.StatusUnauthorized, reason}
	}
	if c.Subject == "" {
		// What API Gateway passes as $context.authorizer.claims.sub for a
		// token without one is not documented; rather than let such callers
		// share one user id, the local gateway refuses them.
		return "", &denial{http.StatusUnauthorized, "the token has no sub, the caller's user id the backends receive"}
	}
	if len(scopes) > 0 && !slices.ContainsFunc(c.scopes(), func(s string) bool { return slices.Contains(scopes, s) }) {
		return "", &denial{http.StatusForbidden, fmt.Sprintf("the token has none of the route's scopes %q", scopes)}
	}
	return c.Subject, nil
}

// checkClaims applies the claim rules go-oidc leaves to its caller or
// applies differently (it allows nbf five minutes early).
func (a *authorizer) checkClaims(c tokenClaims) string {
	now := a.now()
	switch {
	case c.NotBefore != nil && c.NotBefore.Time().After(now):
		return "the token is not valid yet (nbf)"
	case c.IssuedAt != nil && c.IssuedAt.Time().After(now):
		return "the token was issued in the future (iat)"
	}
	audience := []string(c.Audience)
	if len(audience) == 0 && c.ClientID != "" {
		// API Gateway evaluates client_id only when there is no aud.
		audience = []string{c.ClientID}
	}
	if !slices.ContainsFunc(audience, func(aud string) bool { return slices.Contains(a.rules.Audiences, aud) }) {
		return "the token does not have a valid audience"
	}
	return ""
}

// tokenClaims are the claims the authorizer reads beyond go-oidc's checks.
type tokenClaims struct {
	Subject   string           `json:"sub"`
	Audience  stringOrList     `json:"aud"`
	ClientID  string           `json:"client_id"`
	NotBefore *jwt.NumericDate `json:"nbf"`
	IssuedAt  *jwt.NumericDate `json:"iat"`
	Scope     stringOrList     `json:"scope"`
	Scp       stringOrList     `json:"scp"`
}

// scopes are the token's scopes: scope and scp each a space-separated
// string (RFC 8693's scope, Entra ID's scp) or a list (Okta's scp).
func (c tokenClaims) scopes() []string {
	var out []string
	for _, s := range slices.Concat(c.Scope, c.Scp) {
		out = append(out, strings.Fields(s)...)
	}
	return out
}

// stringOrList is a claim that may be one string or a list of them, as aud
// is (RFC 7519 section 4.1.3).
type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*s = nil
		return nil
	}
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return errors.New("neither a string nor a list of strings")
	}
	*s = list
	return nil
}
