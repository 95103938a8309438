package file

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDiscover: files, directories (recursive), globs and "**".
func TestDiscover(t *testing.T) {
	root := t.TempDir()
	s3 := "AWSLogs/123456789010/vpcflowlogs/eu-west-1"
	for _, name := range []string{
		s3 + "/2024/05/01/123456789010_vpcflowlogs_eu-west-1_fl-1_20240501T0000Z_aaaa.log.gz",
		s3 + "/2024/05/01/123456789010_vpcflowlogs_eu-west-1_fl-1_20240501T0005Z_bbbb.log.gz",
		s3 + "/2024/05/02/123456789010_vpcflowlogs_eu-west-1_fl-1_20240502T0000Z_cccc.log.gz",
		s3 + "/2024/05/02/.123456789010_vpcflowlogs_eu-west-1_fl-1_20240502T0005Z_dddd.log.gz.a1B2c3",
		s3 + "/2024/05/02/notes.txt",
		"plain/a.log",
		"plain/b.log",
		"plain/.hidden/c.log",
		"top.log.gz",
	} {
		write(t, filepath.Join(root, name), []byte("x\n"))
	}
	if err := os.Symlink(filepath.Join(root, "plain"), filepath.Join(root, "AWSLogs", "loop")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "plain", "a.log"), filepath.Join(root, "link.log")); err != nil {
		t.Fatal(err)
	}
	day1 := []string{
		s3 + "/2024/05/01/123456789010_vpcflowlogs_eu-west-1_fl-1_20240501T0000Z_aaaa.log.gz",
		s3 + "/2024/05/01/123456789010_vpcflowlogs_eu-west-1_fl-1_20240501T0005Z_bbbb.log.gz",
	}
	day2 := []string{s3 + "/2024/05/02/123456789010_vpcflowlogs_eu-west-1_fl-1_20240502T0000Z_cccc.log.gz"}
	allGz := append(append(slices.Clone(day1), day2...), "top.log.gz")

	for _, tc := range []struct {
		name  string
		paths []string
		want  []string
	}{
		{"file", []string{"plain/a.log"}, []string{"plain/a.log"}},
		{"directory, recursive, hidden skipped", []string{"AWSLogs"}, append(slices.Clone(day1), s3+"/2024/05/02/123456789010_vpcflowlogs_eu-west-1_fl-1_20240502T0000Z_cccc.log.gz", s3+"/2024/05/02/notes.txt")},
		{"glob of files", []string{"plain/*.log"}, []string{"plain/a.log", "plain/b.log"}},
		{"glob of directories", []string{s3 + "/2024/05/0[1]"}, day1},
		{"** at any depth, none included", []string{"**/*.log.gz"}, []string{s3 + "/2024/05/01/123456789010_vpcflowlogs_eu-west-1_fl-1_20240501T0000Z_aaaa.log.gz", s3 + "/2024/05/01/123456789010_vpcflowlogs_eu-west-1_fl-1_20240501T0005Z_bbbb.log.gz", s3 + "/2024/05/02/123456789010_vpcflowlogs_eu-west-1_fl-1_20240502T0000Z_cccc.log.gz", "top.log.gz"}},
		{"** with a glob before", []string{"AWSLogs/*/vpcflowlogs/*/**/*.log.gz"}, slices.Clone(allGz[:3])},
		{"** with elements after", []string{"AWSLogs/**/05/02/*"}, []string{s3 + "/2024/05/02/123456789010_vpcflowlogs_eu-west-1_fl-1_20240502T0000Z_cccc.log.gz", s3 + "/2024/05/02/notes.txt"}},
		{"trailing **", []string{"plain/**"}, []string{"plain/a.log", "plain/b.log"}},
		{"explicit hidden and symlink to a file", []string{"plain/.hidden/c.log", "link.log"}, []string{"plain/.hidden/c.log", "link.log"}},
		{"overlapping patterns give each file once", []string{"plain", "plain/a.log", "plain/*.log"}, []string{"plain/a.log", "plain/b.log"}},
		{"no match", []string{"nothing/*.gz"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var pats []pattern
			for _, p := range tc.paths {
				pat, err := compilePattern(filepath.Join(root, p))
				if err != nil {
					t.Fatal(err)
				}
				pats = append(pats, pat)
			}
			var warnings []string
			var got []string
			for _, c := range discover(pats, func(_ string, err error) { warnings = append(warnings, err.Error()) }) {
				rel, _ := filepath.Rel(root, c.path)
				got = append(got, filepath.ToSlash(rel))
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			if tc.want == nil && (len(warnings) != 1 || !strings.Contains(warnings[0], "matches nothing")) {
				t.Errorf("warnings %q, want one saying the pattern matches nothing", warnings)
			}
		})
	}
}

func TestMatchTail(t *testing.T) {
	for _, tc := range []struct {
		rest, rel string
		want      bool
	}{
		{"*.gz", "/a.gz", true},
		{"*.gz", "/x/y/a.gz", true},
		{"*.gz", "/x/y/a.log", false},
		{"05/*.gz", "/2024/05/a.gz", true},
		{"05/*.gz", "/a.gz", false},
		{"2024/05/*.gz", "/05/a.gz", false},
	} {
		n := strings.Count(tc.rest, "/") + 1
		if got := matchTail(tc.rest, n, tc.rel); got != tc.want {
			t.Errorf("matchTail(%q, %q) = %v, want %v", tc.rest, tc.rel, got, tc.want)
		}
	}
}

func TestRelativePathsAreAbsolute(t *testing.T) {
	pat, err := compilePattern("data/**/*.gz")
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	if pat.glob != filepath.Join(wd, "data") || pat.rest != "*.gz" || !pat.deep {
		t.Fatalf("%+v", pat)
	}
}
