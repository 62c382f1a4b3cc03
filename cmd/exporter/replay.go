package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"text/tabwriter"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/httpstatus-exporter/httpstatus-exporter/exporter"
	"github.com/httpstatus-exporter/httpstatus-exporter/logformat"
	"github.com/httpstatus-exporter/httpstatus-exporter/tailer"
)

type replayCmd struct {
	tableFlags
	LogFormat    string   `name:"log.format" default:"auto" help:"Line format: auto, combined or common."`
	MaxLineBytes int      `name:"tail.max-line-bytes" default:"262144" help:"Longer lines are counted as unparsed (too_long)."`
	Output       string   `name:"output" short:"o" enum:"table,json" default:"table" help:"Report format (${enum})."`
	Files        []string `arg:"" type:"existingfile" help:"Files to read once, to the end."`
}

// replayReport is the JSON report of replay. lines, unparsed and responses
// are fixed by the contract; the rest is extra detail.
type replayReport struct {
	Lines     uint64            `json:"lines"`
	Unparsed  uint64            `json:"unparsed"`
	Responses map[string]uint64 `json:"responses"`
	Reasons   map[string]uint64 `json:"unparsed_by_reason"`
	Bytes     uint64            `json:"bytes"`
	Files     int               `json:"files"`
}

func (c *replayCmd) Run(e *env) error {
	table, err := c.table()
	if err != nil {
		return err
	}
	// The metrics are made as in run, on a registry nobody serves: replay
	// counts with exactly the code that run counts with.
	metrics, err := exporter.NewMetrics(prometheus.NewRegistry(), buildInfo())
	if err != nil {
		return err
	}
	src, err := metrics.NewSource(exporter.SourceOptions{
		Name: "replay", Format: c.LogFormat, Table: table, Lang: c.ClassifyLang, MaxLineBytes: c.MaxLineBytes,
	})
	if err != nil {
		return err
	}
	opts := tailer.Options{MaxLineBytes: c.MaxLineBytes, BufferBytes: 4 << 20, Logger: e.logger}
	for _, path := range c.Files {
		if _, err := tailer.ReadFile(e.ctx, path, opts, src.Open(path)); err != nil {
			return fmt.Errorf("replay: %w", err)
		}
	}
	tot := src.Totals
	rep := replayReport{Lines: tot.Lines, Bytes: tot.Bytes, Files: len(c.Files),
		Responses: map[string]uint64{}, Reasons: map[string]uint64{}}
	for code, n := range tot.ByCode {
		if n > 0 {
			rep.Responses[strconv.Itoa(code)] = n
		}
	}
	for r, n := range tot.Unparsed {
		if n > 0 {
			rep.Reasons[logformat.Reason(r).String()] = n
			rep.Unparsed += n
		}
	}
	if c.Output == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tCATEGORY\tCOUNT\tMEANING")
	codes := make([]int, 0, len(rep.Responses))
	for code, n := range tot.ByCode {
		if n > 0 {
			codes = append(codes, code)
		}
	}
	slices.Sort(codes)
	for _, code := range codes {
		en := table.Lookup(code)
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\n", code, en.Category, tot.ByCode[code], en.Meaning(c.ClassifyLang))
	}
	fmt.Fprintf(tw, "\nlines\t%d\nunparsed\t%d\n", rep.Lines, rep.Unparsed)
	for _, r := range slices.Sorted(maps.Keys(rep.Reasons)) {
		fmt.Fprintf(tw, "  %s\t%d\n", r, rep.Reasons[r])
	}
	return tw.Flush()
}
