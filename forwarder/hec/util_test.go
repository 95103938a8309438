package hec

import (
	"fmt"
	"strings"
)

func contains(s, sub string) bool       { return strings.Contains(s, sub) }
func sprintf(f string, a ...any) string { return fmt.Sprintf(f, a...) }
