module github.com/private-apis/private-apis/apps/servekit

go 1.26
