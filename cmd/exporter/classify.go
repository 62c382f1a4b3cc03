package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/httpstatus-exporter/httpstatus-exporter/classify"
)

type classifyCmd struct {
	tableFlags
	List   bool     `name:"list" help:"Print the whole active table: every code it documents."`
	Output string   `name:"output" short:"o" enum:"table,json" default:"table" help:"Output format (${enum}); json is an array of {code, category, meaning_en, meaning_zh, description, documented}."`
	Codes  []string `arg:"" optional:"" name:"code" help:"Status codes (100-599) to look up."`
}

func (c *classifyCmd) Validate() error {
	if !c.List && len(c.Codes) == 0 {
		return errors.New("give codes to look up, or --list")
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

// classifyJSON is one code in classify --output=json; the keys are for
// scripts, so they stay.
type classifyJSON struct {
	Code        int    `json:"code"`
	Category    string `json:"category"`
	MeaningEN   string `json:"meaning_en"`
	MeaningZH   string `json:"meaning_zh"`
	Description string `json:"description"`
	Documented  bool   `json:"documented"`
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

	if c.Output == "json" {
		out := make([]classifyJSON, 0, len(entries))
		for _, en := range entries {
			out = append(out, classifyJSON{Code: en.Code, Category: string(en.Category), MeaningEN: en.MeaningEN,
				MeaningZH: en.MeaningZH, Description: en.Description, Documented: en.Documented})
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false) // meanings are read by people and scripts, not pasted into HTML
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}

	// Both languages, the one of --classify.lang first.
	langs := []string{classify.LangEN, classify.LangZH}
	if c.ClassifyLang == classify.LangZH {
		langs = []string{classify.LangZH, classify.LangEN}
	}
	rows := [][]string{{"CODE", "CATEGORY", "DOCUMENTED",
		"MEANING (" + strings.ToUpper(langs[0]) + ")", "MEANING (" + strings.ToUpper(langs[1]) + ")", "DESCRIPTION"}}
	for _, en := range entries {
		documented := "no"
		if en.Documented {
			documented = "yes"
		}
		meaning := func(lang string) string {
			if lang == classify.LangZH {
				return en.MeaningZH
			}
			return en.MeaningEN
		}
		rows = append(rows, []string{strconv.Itoa(en.Code), string(en.Category), documented,
			meaning(langs[0]), meaning(langs[1]), en.Description})
	}
	return writeColumns(e.stdout, rows)
}

// writeColumns writes rows as aligned columns, two spaces apart, an empty
// cell as "-". It pads by display width (a Chinese character takes two
// columns of a terminal), which text/tabwriter does not.
func writeColumns(w io.Writer, rows [][]string) error {
	var widths []int
	for _, r := range rows {
		for i, cell := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(cellText(cell)))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		for i, cell := range r {
			cell = cellText(cell)
			b.WriteString(cell)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(cell)+2))
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func cellText(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// displayWidth is the number of terminal columns s takes: two for East
// Asian wide characters (CJK ideographs, kana, Hangul, full-width forms
// and punctuation), none for combining marks, one for the rest.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul),
			r >= 0x3000 && r <= 0x303F, // CJK symbols and punctuation: 、。「」
			r >= 0xFF01 && r <= 0xFF60, // full-width forms: ，：（）
			r >= 0xFFE0 && r <= 0xFFE6:
			n += 2
		default:
			n++
		}
	}
	return n
}
