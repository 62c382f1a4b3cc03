package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/prometheus/exporter-toolkit/web"

	"github.com/httpstatus-exporter/httpstatus-exporter/logformat"
)

// checkConfigCmd takes the flags of run, validates them and the config file,
// and prints what run would follow: each source, its files now, and the
// format detected in each.
type checkConfigCmd struct {
	runCmd
}

func (c *checkConfigCmd) Run(e *env) error {
	if err := web.Validate(c.WebConfigFile); err != nil {
		return fmt.Errorf("--web.config.file %s: %w", c.WebConfigFile, err)
	}
	sources, err := c.sources()
	if err != nil {
		return err
	}
	w := e.stdout
	for _, s := range sources {
		fmt.Fprintf(w, "source %q\n  format: %s\n  table: %s (%d documented codes), meanings in %s\n",
			s.Name, s.Format, s.Table.Name(), len(s.Table.Documented()), c.ClassifyLang)
		if names := s.Labels.Names(); len(names) > 0 {
			fmt.Fprintf(w, "  labels: %v\n", names)
		}
		for _, g := range s.Paths {
			matches, _ := filepath.Glob(g) // checked in validate
			fmt.Fprintf(w, "  path %s: %d files now\n", g, len(matches))
			for _, m := range matches {
				fmt.Fprintf(w, "    %s (%s)\n", m, detectFormat(m, s.Format))
			}
		}
	}
	cp := c.CheckpointFile
	if cp == "" {
		cp = "(disabled)"
	}
	fmt.Fprintf(w, "checkpoint: %s\n", cp)
	for _, a := range c.WebListenAddress {
		fmt.Fprintf(w, "listen: %s%s\n", a, c.WebTelemetryPath)
	}
	fmt.Fprintln(w, "config OK")
	return nil
}

// detectFormat reads the first lines of path (at most 64 KiB) with the
// source's format and says what it reads: the detected format for auto, and
// how many of those lines parsed.
func detectFormat(path, format string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unreadable: " + err.Error()
	}
	defer f.Close()
	p, err := logformat.New(format)
	if err != nil {
		return err.Error()
	}
	sc := bufio.NewScanner(io.LimitReader(f, 64<<10))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	var rec logformat.Record
	lines, ok := 0, 0
	for sc.Scan() && lines < 100 {
		lines++
		if p.Parse(bytes.TrimRight(sc.Bytes(), "\r"), &rec) == logformat.ReasonNone {
			ok++
		}
	}
	if lines == 0 {
		return "empty: format decided on the first lines"
	}
	return fmt.Sprintf("%s, %d of the first %d lines parse", p.Name(), ok, lines)
}
