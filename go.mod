module github.com/flowhec/flowhec

go 1.26.8

require github.com/klauspost/compress v1.18.0 // indirect
