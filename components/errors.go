package components

import "fmt"

// componentErrors is how a component names itself in its errors, as
// "fargate service app: creating cluster: ...", so a user knows which of a
// stack's components failed.
type componentErrors struct{ kind, name string }

// wrap prefixes *err, if set, with the component. Each constructor defers it
// once, at its top, so the helpers it calls return plain errors that say
// only which resource or field failed.
func (c componentErrors) wrap(err *error) {
	if *err != nil {
		*err = c.wrapped(*err)
	}
}

// wrapped prefixes err with the component: for an error of an apply, which
// surfaces while the program runs, after the constructor has returned.
func (c componentErrors) wrapped(err error) error {
	return fmt.Errorf("%s %s: %w", c.kind, c.name, err)
}
