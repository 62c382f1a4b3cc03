package main

import (
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/httpstatus-exporter/httpstatus-exporter/classify"
)

type classifyCmd struct {
	tableFlags
	List  bool     `name:"list" help:"Print the whole active table."`
	Codes []string `arg:"" optional:"" name:"code" help:"Status codes (100-599) to look up."`
}

func (c *classifyCmd) Validate() error {
	if !c.List && len(c.Codes) == 0 {
		return fmt.Errorf("give codes to look up, or --list")
	}
	for _, s := range c.Codes {
		if _, err := parseCode(s); err != nil {
			return err
		}
	}
	return nil
}

func parseCode(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || len(s) != 3 || n < 100 || n > 599 {
		return 0, fmt.Errorf("code %q: want three digits from 100 to 599", s)
	}
	return n, nil
}

func (c *classifyCmd) Run(e *env) error {
	table, err := c.table()
	if err != nil {
		return err
	}
	var entries []classify.Entry
	if c.List {
		entries = table.Documented()
	}
	for _, s := range c.Codes {
		code, _ := parseCode(s) // checked in Validate
		entries = append(entries, table.Lookup(code))
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tCATEGORY\tDOCUMENTED\tMEANING")
	for _, en := range entries {
		fmt.Fprintf(tw, "%d\t%s\t%t\t%s\n", en.Code, en.Category, en.Documented, en.Meaning(c.ClassifyLang))
	}
	return tw.Flush()
}
