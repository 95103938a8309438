module github.com/flowhec/flowhec

go 1.26.8
