// Package atomicfile replaces a file so that a crash at any moment leaves
// either the old content or the new, never a mix: write a temporary file in
// the same directory, fsync it, rename it over the target, fsync the
// directory. State files (checkpoints, the ownership history) and exported
// files are written this way.
package atomicfile
