package main

import (
	"fmt"
	"io"
	"os"

	"github.com/httpstatus-exporter/httpstatus-exporter/classify"
)

// importTableCmd reads a documentation page's status table and prints it as
// a table file for --classify.table. What it skipped or guessed is said on
// stderr and in comments of the YAML, for review.
type importTableCmd struct {
	File string `arg:"" name:"file" help:"The documentation page: HTML or Markdown (or both, as in the seed page); - reads standard input."`
}

// maxPageBytes bounds what import-table reads: a documentation page, not a
// log.
const maxPageBytes = 32 << 20

func (c *importTableCmd) Run(e *env) error {
	var in io.Reader = os.Stdin
	if c.File != "-" {
		f, err := os.Open(c.File)
		if err != nil {
			return fmt.Errorf("import-table: %w", err)
		}
		defer f.Close()
		in = f
	}
	page, err := io.ReadAll(io.LimitReader(in, maxPageBytes+1))
	if err != nil {
		return fmt.Errorf("import-table: read %s: %w", c.File, err)
	}
	if len(page) > maxPageBytes {
		return fmt.Errorf("import-table: %s is larger than %d MiB: not a documentation page", c.File, maxPageBytes>>20)
	}
	im, err := classify.Import(c.File, page)
	if err != nil {
		return fmt.Errorf("import-table: %w", err)
	}
	for _, w := range im.Warnings {
		fmt.Fprintln(e.stderr, "import-table: warning:", w)
	}
	out, err := im.YAML()
	if err != nil {
		return fmt.Errorf("import-table: %w", err)
	}
	_, err = e.stdout.Write(out)
	return err
}
