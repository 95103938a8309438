package main

import (
	"fmt"
	"io"
)

// runInventoryExport is filled in with the EC2 loader.
func runInventoryExport(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "flowhec inventory export: not available in this build")
	return exitUsage
}
