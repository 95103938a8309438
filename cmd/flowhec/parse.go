package main

import "io"

func runParse(args []string, _ io.Reader, stdout, stderr io.Writer) int { return exitUsage }
