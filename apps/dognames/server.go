package main

import (
	"log/slog"
	"math/rand/v2"
	"net/http"

	"github.com/private-apis/private-apis/apps/servekit"
)

// dog is the response shape of the old service; the field names are the JSON
// keys, so they must not change.
type dog struct {
	Name   string
	Gender string
}

func dogBodies(names []string, gender string) []servekit.Body {
	bodies := make([]servekit.Body, len(names))
	for i, n := range names {
		bodies[i] = servekit.NewBody(dog{Name: n, Gender: gender})
	}
	return bodies
}

// randomBody serves one of its bodies, picked uniformly.
type randomBody []servekit.Body

func (rb randomBody) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	servekit.Write(w, r, http.StatusOK, &rb[rand.IntN(len(rb))])
}

// NewServer returns the API's handler. Every body it can send is encoded
// here, once. Requests are logged only when logger has debug enabled.
func NewServer(logger *slog.Logger, health *servekit.Health) http.Handler {
	males := dogBodies(maleNames, "male")
	females := dogBodies(femaleNames, "female")
	// /dogs picks from both lists at once: one random draw, and each name is
	// equally likely, so the gender split follows the list sizes.
	all := append(append(make([]servekit.Body, 0, len(males)+len(females)), males...), females...)

	// GET also serves HEAD; any other method on these paths gets a JSON
	// 405, and any other path a JSON 404. They, and the health check, go
	// out through servekit.Write like the dogs.
	rt := servekit.NewRouter()
	rt.Route("/dogs", servekit.Methods{http.MethodGet: randomBody(all)})
	rt.Route("/dogs/males", servekit.Methods{http.MethodGet: randomBody(males)})
	rt.Route("/dogs/females", servekit.Methods{http.MethodGet: randomBody(females)})
	rt.Health("/healthz", health)
	return servekit.LogRequests(logger, rt.Handler())
}
