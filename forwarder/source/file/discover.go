package file

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// candidate is a regular file found by a poll.
type candidate struct {
	path string
	size int64
	id   fileID
}

// discover lists the regular files the patterns name, in pattern order and
// then lexical order (for the S3 layout, .../YYYY/MM/DD/..., that is time
// order), each once. Problems (an unreadable directory) go to warn; they
// never stop the others.
func discover(pats []pattern, warn func(key string, err error)) []candidate {
	var out []candidate
	seen := make(map[string]bool)
	add := func(path string, fi fs.FileInfo) {
		if seen[path] || !fi.Mode().IsRegular() {
			return
		}
		seen[path] = true
		out = append(out, candidate{path: path, size: fi.Size(), id: idOf(fi)})
	}
	for _, p := range pats {
		matches, _ := filepath.Glob(p.glob) // the pattern was checked by Validate
		if len(matches) == 0 {
			warn("nomatch "+p.raw, errNoMatch{p.raw})
		}
		for _, m := range matches {
			fi, err := os.Stat(m) // follows a symbolic link the user named
			if err != nil {
				warn("stat "+m, err)
				continue
			}
			switch {
			case fi.IsDir():
				walk(m, p, add, warn)
			case !p.deep:
				add(m, fi)
			}
		}
	}
	return out
}

type errNoMatch struct{ pattern string }

func (e errNoMatch) Error() string {
	return "sources[].paths " + e.pattern + ": matches nothing yet"
}

// walk adds the files below dir that p matches. Names starting with "." are
// skipped (temporary files of rsync, aws s3 sync and editors), and so are
// symbolic links to directories, which could loop; symbolic links to files
// are followed.
func walk(dir string, p pattern, add func(string, fs.FileInfo), warn func(string, error)) {
	restElems := 0
	if p.rest != "" {
		restElems = strings.Count(p.rest, "/") + 1
	}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			warn("walk "+path, err)
			if d != nil && d.IsDir() && path != dir {
				return fs.SkipDir
			}
			return nil
		}
		if path == dir {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if restElems > 0 && !matchTail(p.rest, restElems, string(filepath.Separator)+strings.TrimLeft(path[len(dir):], string(filepath.Separator))) {
			return nil
		}
		fi, err := os.Stat(path)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) { // gone since the listing: fine
				warn("stat "+path, err)
			}
			return nil
		}
		add(path, fi)
		return nil
	})
}

// matchTail matches rest, of n elements, against the last n elements of
// rel, a path below the directory "**" stands in (starting with a
// separator): /data/**/*.log.gz matches /data/x.log.gz and
// /data/a/b/x.log.gz.
func matchTail(rest string, n int, rel string) bool {
	slashed := filepath.ToSlash(rel)
	i := len(slashed)
	for range n {
		i = strings.LastIndexByte(slashed[:i], '/')
		if i < 0 {
			return false
		}
	}
	ok, _ := filepath.Match(rest, slashed[i+1:])
	return ok
}
