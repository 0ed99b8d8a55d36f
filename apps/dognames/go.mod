module github.com/private-apis/private-apis/apps/dognames

go 1.26
