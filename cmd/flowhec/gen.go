package main

import "io"

// runGen is filled in by the generator work.
func runGen(args []string, _ io.Reader, stdout, stderr io.Writer) int { return exitUsage }
