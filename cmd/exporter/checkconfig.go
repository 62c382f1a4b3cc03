package main

import (
	"fmt"
	"path/filepath"

	"github.com/prometheus/exporter-toolkit/web"
)

// checkConfigCmd takes the flags of run, validates them and prints what run
// would follow.
type checkConfigCmd struct {
	runCmd
}

func (c *checkConfigCmd) Run(e *env) error {
	if err := web.Validate(c.WebConfigFile); err != nil {
		return fmt.Errorf("--web.config.file %s: %w", c.WebConfigFile, err)
	}
	table, err := c.table()
	if err != nil {
		return err
	}
	w := e.stdout
	fmt.Fprintf(w, "source %q\n  format: %s\n  table: %s (%d documented codes), meanings in %s\n",
		c.LogSource, c.LogFormat, table.Name(), len(table.Documented()), c.ClassifyLang)
	for _, g := range c.LogPath {
		matches, _ := filepath.Glob(g) // checked in Validate
		fmt.Fprintf(w, "  path %s: %d files now\n", g, len(matches))
		for _, m := range matches {
			fmt.Fprintf(w, "    %s\n", m)
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
