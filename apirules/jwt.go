package apirules

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/private-apis/private-apis/contract"
)

// The consumer's authorization config keys, without the project namespace.
const (
	KeyJwtIssuer    = "jwtIssuer"
	KeyJwtAudiences = "jwtAudiences"
	KeyPublicRoutes = "publicRoutes"
	KeyWriteScopes  = "writeScopes"
)

// JWTAuth is the API's authorization as API Gateway's JWT authorizer
// applies it: a token from Issuer for one of Audiences on every route but
// PublicRoutes, and on write routes one of WriteScopes. The consumer stack
// deploys it (one authorizer, and each route's authorization type and
// scopes from Route); the local gateway enforces the same with Route.
type JWTAuth struct {
	Issuer    string
	Audiences []string
	// PublicRoutes need no token.
	PublicRoutes []string
	// WriteScopes are required on write routes (POST, PUT, PATCH, DELETE,
	// and ANY, which accepts them all); empty, a token is enough.
	WriteScopes []string
}

// Route is what a route key asks of its callers: whether a token at all,
// and, if so, the scopes of which it must hold one (none: any valid
// token). A nil JWTAuth asks nothing.
func (a *JWTAuth) Route(routeKey string) (token bool, scopes []string) {
	if a == nil || slices.Contains(a.PublicRoutes, routeKey) {
		return false, nil
	}
	method, _, _ := strings.Cut(routeKey, " ")
	if contract.IsWriteMethod(method) {
		return true, a.WriteScopes
	}
	return true, nil
}

// CheckIssuer accepts what API Gateway's JWT authorizer takes as an issuer:
// an https URL with a host, such as a Cognito user pool's.
func CheckIssuer(issuer string) error {
	u, err := url.Parse(issuer)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("issuer %q is not an https URL; use the issuer of your identity provider, e.g. https://cognito-idp.us-west-2.amazonaws.com/us-west-2_AbCdEf", issuer)
	}
	return nil
}
