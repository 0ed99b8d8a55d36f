module github.com/private-apis/private-apis/apps/dognames

go 1.26

require github.com/private-apis/private-apis/apps/servekit v0.0.0

// servekit lives next door in this repository and is never published: the
// relative path also works inside the Docker build, whose context is apps/.
replace github.com/private-apis/private-apis/apps/servekit => ../servekit
