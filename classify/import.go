package classify

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"gopkg.in/yaml.v3"
)

// ErrNoTable is returned by [Import] for a page with no status table.
var ErrNoTable = errors.New("classify: no status table found (want a table with a column of status codes 100-599)")

// Imported is a status table read from a documentation page by [Import].
type Imported struct {
	// Name is the page's name as given to Import; its base name becomes the
	// table's reference.
	Name string
	// Tables are the page's status tables, in page order.
	Tables []ImportedTable
	// Entries are the page's codes in page order, each once.
	Entries []ImportedEntry
	// Warnings say what was skipped ("name:line: text"): rows without a
	// status code or a meaning, codes listed again.
	Warnings []string
}

// ImportedTable is one status table of a page.
type ImportedTable struct {
	Line    int    // where it begins in the page
	Caption string // its <caption>, or the line of text before it; "" if none
}

// ImportedEntry is one row of a page's status table.
type ImportedEntry struct {
	Entry
	// Inferred is true when the page gave no category and it was inferred
	// from the code; the YAML marks it for review.
	Inferred bool
	// Line is the row's line in the page, Table its table's index in
	// [Imported.Tables].
	Line  int
	Table int
	// Notes are for the reviewer, printed as comments: where the page lists
	// the code again, and what was taken from there.
	Notes []string
}

// Import reads the status tables of a documentation page: HTML tables (as
// in the seed's status page: 返回值/说明, Status Code/Type/Description,
// Returned Value/Description) and Markdown pipe tables, in one page or
// mixed. name is used in warnings and errors, and its base name as the
// reference of the table; "-" (or "") means standard input.
//
// A table is a status table when a column holds status codes: a cell
// starting with three digits from 100 to 599, optionally followed by the
// reason phrase ("400 Bad Request"). Columns are recognised by their header
// (code: 返回值, 状态码, status code, returned value; meaning: 说明, 描述,
// description, meaning; reason phrase: type, reason; category: category,
// 类别), else by their content. The meaning goes into the language it is
// written in (Chinese when it has CJK characters, else English); the reason
// phrase, and the text of other columns, into the description. The text is
// kept as written, with white space collapsed and inline markup removed.
// Categories come from a category column when the page has one, else from
// the code ([Gateway] for 502 and 504, [Auth] 401, [Permission] 403,
// [NotFound] 404, else the class), marked Inferred.
func Import(name string, page []byte) (*Imported, error) {
	where := name
	if name == "" || name == "-" {
		where = "stdin"
	}
	page = bytes.ToValidUTF8(page, []byte("\uFFFD"))
	tables := htmlTables(page)
	tables = append(tables, markdownTables(page, tables)...)
	slices.SortStableFunc(tables, func(a, b docTable) int { return a.line - b.line })

	im := &Imported{Name: name}
	first := map[int]int{} // code -> index in im.Entries
	for _, t := range tables {
		rows, warnings := t.entries()
		if rows == nil {
			continue // not a status table
		}
		im.Tables = append(im.Tables, ImportedTable{Line: t.line, Caption: t.caption})
		for _, w := range warnings {
			im.Warnings = append(im.Warnings, fmt.Sprintf("%s:%d: %s", where, w.line, w.text))
		}
		for _, e := range rows {
			e.Table = len(im.Tables) - 1
			if i, ok := first[e.Code]; ok {
				prev := &im.Entries[i]
				if took := prev.merge(e); took != "" {
					// A bilingual page: the code's other language.
					prev.Notes = append(prev.Notes, fmt.Sprintf("code %d is listed again at line %d: %s taken from there", e.Code, e.Line, took))
					continue
				}
				prev.Notes = append(prev.Notes, fmt.Sprintf("code %d is listed again at line %d: the first row is kept", e.Code, e.Line))
				im.Warnings = append(im.Warnings, fmt.Sprintf("%s:%d: code %d again (first at line %d): kept the first",
					where, e.Line, e.Code, prev.Line))
				continue
			}
			first[e.Code] = len(im.Entries)
			im.Entries = append(im.Entries, e)
		}
	}
	if len(im.Entries) == 0 {
		return nil, fmt.Errorf("%s: %w", where, ErrNoTable)
	}
	return im, nil
}

// YAML returns the imported table as a table file that [Parse] loads, with
// comments for review: where each table of the page began, which categories
// were inferred, which codes the page listed again.
func (im *Imported) YAML() ([]byte, error) {
	str := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }
	stdin := im.Name == "" || im.Name == "-"
	from := "standard input"
	if !stdin {
		from = oneLine(filepath.Base(im.Name))
	}
	root := &yaml.Node{Kind: yaml.MappingNode, HeadComment: "" +
		"Status table imported by `exporter import-table` from " + from + ".\n" +
		"Review it before use (--classify.table=FILE): categories marked\n" +
		"\"inferred\" were guessed from the code; meanings are the page's text."}
	root.Content = append(root.Content, str("version"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: "1"})
	if !stdin && from != "" {
		root.Content = append(root.Content, str("reference"), str(from))
	}
	codes := &yaml.Node{Kind: yaml.SequenceNode}
	table := -1
	for _, e := range im.Entries {
		item := &yaml.Node{Kind: yaml.MappingNode}
		var head []string
		if e.Table != table && e.Table >= 0 && e.Table < len(im.Tables) {
			table = e.Table
			t := im.Tables[table]
			h := fmt.Sprintf("table %d, line %d", table+1, t.Line)
			if t.Caption != "" {
				h += ": " + oneLine(t.Caption)
			}
			head = append(head, h)
		}
		for i, n := range e.Notes {
			if i == maxNotes && len(e.Notes) > maxNotes+1 {
				head = append(head, fmt.Sprintf("and %d more rows of code %d", len(e.Notes)-maxNotes, e.Code))
				break
			}
			head = append(head, oneLine(n))
		}
		item.HeadComment = strings.Join(head, "\n")
		category := str(string(e.Category))
		if e.Inferred {
			category.LineComment = "inferred from the code: review"
		}
		meaning := &yaml.Node{Kind: yaml.MappingNode}
		if e.MeaningEN != "" {
			meaning.Content = append(meaning.Content, str(LangEN), str(e.MeaningEN))
		}
		if e.MeaningZH != "" {
			meaning.Content = append(meaning.Content, str(LangZH), str(e.MeaningZH))
		}
		item.Content = append(item.Content,
			str("code"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(e.Code)},
			str("category"), category,
			str("meaning"), meaning)
		if e.Description != "" {
			item.Content = append(item.Content, str("description"), str(e.Description))
		}
		codes.Content = append(codes.Content, item)
	}
	root.Content = append(root.Content, str("codes"), codes)

	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return nil, fmt.Errorf("classify: import %s: encode: %w", im.Name, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("classify: import %s: encode: %w", im.Name, err)
	}
	// What is printed must load: the importer's promise, checked here
	// rather than trusted.
	if _, err := Parse(im.Name, b.Bytes()); err != nil {
		return nil, fmt.Errorf("classify: import %s produced a table that does not load: %w", im.Name, err)
	}
	return b.Bytes(), nil
}

// maxNotes bounds the comments above one code: a page that lists a code in
// every endpoint's table would bury the table in them.
const maxNotes = 3

// merge takes from a later row of the same code the meanings e lacks, when
// the later row has nothing but those (and perhaps the same description):
// the same code documented in a page's English and Chinese tables. It
// returns what it took, "" when the rows differ otherwise and e is kept as
// it is.
func (e *ImportedEntry) merge(later ImportedEntry) string {
	var took []string
	en, zh := e.MeaningEN, e.MeaningZH
	if later.MeaningEN != "" {
		if en != "" {
			return ""
		}
		en = later.MeaningEN
		took = append(took, "the en meaning")
	}
	if later.MeaningZH != "" {
		if zh != "" {
			return ""
		}
		zh = later.MeaningZH
		took = append(took, "the zh meaning")
	}
	desc := e.Description
	if later.Description != "" && later.Description != desc {
		if desc != "" {
			return ""
		}
		desc = later.Description
		took = append(took, "the description")
	}
	if !later.Inferred && (e.Inferred || later.Category != e.Category) {
		return "" // the later row says a category of its own
	}
	if len(took) == 0 {
		return ""
	}
	e.MeaningEN, e.MeaningZH, e.Description = en, zh, desc
	return strings.Join(took, " and ")
}

// inferCategory is the category the importer gives a code whose page says
// none: the contract's refinements, else the class.
func inferCategory(code int) Category {
	switch code {
	case 401:
		return Auth
	case 403:
		return Permission
	case 404:
		return NotFound
	case 502, 504:
		return Gateway
	}
	return fallback(code).Category
}

// docTable is a table of the page, before its columns are understood.
type docTable struct {
	line     int // where the table starts
	lastLine int // where it ends
	caption  string
	rows     []docRow
}

type docRow struct {
	line  int
	head  bool // a row of <th> cells only, a <thead> row, or a Markdown header
	cells []string
}

type rowWarning struct {
	line int
	text string
}

// The roles of a table's columns.
type role int

const (
	roleOther role = iota
	roleCode
	roleReason
	roleMeaning
	roleCategory
)

// headerRole recognises a column by its header text. Meaning is tried
// before code, as in 错误码说明 or Status Description.
func headerRole(h string) role {
	h = strings.ToLower(h)
	has := func(words ...string) bool {
		return slices.ContainsFunc(words, func(w string) bool { return strings.Contains(h, w) })
	}
	switch {
	case h == "":
		return roleOther
	case has("category", "类别", "分类"):
		return roleCategory
	case has("说明", "描述", "含义", "解释", "description", "meaning", "explanation"):
		return roleMeaning
	case has("type", "reason", "phrase", "类型", "名称"):
		return roleReason
	case has("code", "status", "value", "返回值", "状态码", "返回码", "响应码", "状态"):
		return roleCode
	}
	return roleOther
}

// codeCell matches a cell that is a status code, optionally with "HTTP"
// before it and the reason phrase after it.
var codeCell = regexp.MustCompile(`^(?i:http)?\s*([1-5]\d\d)(\s*$|[\s:：.,，、(（\-–—]+)`)

// parseCodeCell returns the code of a cell and the rest (the reason
// phrase), or ok false. "2xx", "520-527", "4001" are not codes.
func parseCodeCell(cell string) (code int, reason string, ok bool) {
	m := codeCell.FindStringSubmatchIndex(cell)
	if m == nil {
		return 0, "", false
	}
	rest := cell[m[1]:]
	// A span such as 520-527 or 520 – 527.
	if sep := cell[m[4]:m[5]]; strings.ContainsAny(sep, "-–—") && rest != "" && rest[0] >= '0' && rest[0] <= '9' {
		return 0, "", false
	}
	code, _ = strconv.Atoi(cell[m[2]:m[3]])
	reason = strings.TrimSpace(rest)
	// A phrase in brackets, "404 (Not Found)", loses its brackets; one
	// that goes on after them keeps its opening one.
	if sep := cell[m[4]:m[5]]; strings.ContainsAny(sep, "(（") {
		open := sep[strings.IndexAny(sep, "(（"):]
		if strings.HasSuffix(reason, ")") || strings.HasSuffix(reason, "）") {
			reason = strings.TrimSpace(strings.TrimRight(reason, ")）"))
		} else {
			reason = strings.TrimSpace(open) + reason
		}
	}
	return code, reason, true
}

// entries understands the table's columns and returns its rows as entries,
// with warnings for the rows it skipped; nil when it is not a status table.
func (t *docTable) entries() ([]ImportedEntry, []rowWarning) {
	cols, body := t.columns()
	if cols == nil {
		return nil, nil
	}
	var (
		out      []ImportedEntry
		warnings []rowWarning
	)
	for _, r := range body {
		if r.head {
			continue // a header row repeated inside the table
		}
		e, warning, ok := cols.entry(r)
		if warning != "" {
			warnings = append(warnings, rowWarning{r.line, warning})
		}
		if ok {
			out = append(out, e)
		}
	}
	return out, warnings
}

// columns is what a status table's columns hold.
type columns struct {
	header []string // "" for a column without a name
	roles  []role
	code   int // the column of the codes
}

// columns finds the table's header and the role of each column, and returns
// them with the rows below the header; nil when no column holds codes.
func (t *docTable) columns() (*columns, []docRow) {
	var header []string
	body := t.rows
	for len(body) > 0 && body[0].head {
		// Several header rows (a group row above the names): the last names
		// the columns, earlier ones fill its blanks.
		if header == nil {
			header = slices.Clone(body[0].cells)
		} else {
			for i, c := range body[0].cells {
				if i >= len(header) {
					header = append(header, c)
				} else if c != "" {
					header[i] = c
				}
			}
		}
		body = body[1:]
	}
	hasCode := func(r docRow) bool {
		return slices.ContainsFunc(r.cells, func(c string) bool { _, _, ok := parseCodeCell(c); return ok })
	}
	// A table without a header row whose first row holds no code while
	// later ones do: that row is its header.
	if header == nil && len(body) > 1 && !hasCode(body[0]) && slices.ContainsFunc(body[1:], hasCode) {
		header, body = body[0].cells, body[1:]
	}
	width := len(header)
	for _, r := range body {
		width = max(width, len(r.cells))
	}
	c := &columns{header: header, roles: make([]role, width), code: -1}
	for i := range c.roles {
		if i < len(header) {
			c.roles[i] = headerRole(header[i])
		}
	}
	codes := func(col int) (n, filled int) {
		for _, r := range body {
			if v := cellAt(r, col); v != "" {
				filled++
				if _, _, ok := parseCodeCell(v); ok {
					n++
				}
			}
		}
		return n, filled
	}
	// The code column: of the columns named like one, the one holding most
	// codes; else of the unnamed columns one mostly holding codes (a
	// parameter table's "100 at most" is not a status table).
	best := 0
	for i, ro := range c.roles {
		if n, _ := codes(i); ro == roleCode && n > best {
			c.code, best = i, n
		}
	}
	if c.code < 0 {
		for i, ro := range c.roles {
			if n, filled := codes(i); ro == roleOther && n > best && 2*n >= filled {
				c.code, best = i, n
			}
		}
	}
	if c.code < 0 {
		return nil, nil
	}
	for i, ro := range c.roles {
		if ro == roleCode {
			c.roles[i] = roleOther // named like codes, but not the codes
		}
	}
	c.roles[c.code] = roleCode
	if !slices.Contains(c.roles, roleMeaning) {
		// No column is named like a meaning: the last one not otherwise
		// taken is.
		for i := len(c.roles) - 1; i >= 0; i-- {
			if c.roles[i] == roleOther {
				c.roles[i] = roleMeaning
				break
			}
		}
	}
	return c, body
}

// cellAt returns the text of column i of r, "" past its end.
func cellAt(r docRow, i int) string {
	if i < 0 || i >= len(r.cells) {
		return ""
	}
	return r.cells[i]
}

// entry makes an entry of one row. It returns ok false for a row to skip,
// and a warning to say why unless the row is empty.
func (c *columns) entry(r docRow) (e ImportedEntry, warning string, ok bool) {
	raw := cellAt(r, c.code)
	code, reason, ok := parseCodeCell(raw)
	if !ok {
		if strings.Join(r.cells, "") != "" {
			warning = fmt.Sprintf("row skipped: %q is not a status code (100-599)", clip(raw))
		}
		return e, warning, false
	}
	e = ImportedEntry{Entry: Entry{Code: code, Documented: true}, Line: r.line}
	var desc, meanings []string
	if reason != "" {
		desc = append(desc, reason)
	}
	category := ""
	for i, ro := range c.roles {
		text := cellAt(r, i)
		if text == "" {
			continue
		}
		switch ro {
		case roleCode:
		case roleReason:
			if !slices.Contains(desc, text) {
				desc = append(desc, text)
			}
		case roleMeaning:
			meanings = append(meanings, text)
		case roleCategory:
			category = text
		default:
			if i < len(c.header) && c.header[i] != "" {
				text = c.header[i] + ": " + text
			}
			desc = append(desc, text)
		}
	}
	// Each meaning goes into the language it is written in; a second one
	// of a language into the description.
	for _, m := range meanings {
		switch {
		case isCJK(m) && e.MeaningZH == "":
			e.MeaningZH = m
		case !isCJK(m) && e.MeaningEN == "":
			e.MeaningEN = m
		default:
			desc = append(desc, m)
		}
	}
	if e.MeaningEN == "" && e.MeaningZH == "" {
		// No meaning but the reason phrase: that is the meaning.
		if len(desc) == 0 {
			return e, fmt.Sprintf("row skipped: code %d has no meaning", code), false
		}
		if isCJK(desc[0]) {
			e.MeaningZH = desc[0]
		} else {
			e.MeaningEN = desc[0]
		}
		desc = desc[1:]
	}
	e.Description = strings.Join(desc, "; ")
	if cat := Category(strings.ReplaceAll(strings.ToLower(category), " ", "-")); cat.Valid() {
		e.Category = cat
	} else {
		if category != "" {
			warning = fmt.Sprintf("category %q of code %d is not one of %s: inferred from the code", clip(category), code, categoryList())
		}
		e.Category, e.Inferred = inferCategory(code), true
	}
	return e, warning, true
}

// isCJK reports whether s holds Chinese, Japanese or Korean characters.
func isCJK(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
			return true
		}
	}
	return false
}

// clean collapses white space (Unicode's, as Parse trims it), drops control
// characters and trims: a cell's text as a table file keeps it.
func clean(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case unicode.IsControl(r):
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// oneLine makes text safe for a YAML comment and bounds it.
func oneLine(s string) string {
	return clip(clean(s))
}

// clip shortens s to 80 characters for a message or comment.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= 80 {
		return s
	}
	r := []rune(s)
	return string(r[:77]) + "..."
}

// htmlTables returns the page's HTML tables, nested ones each on their own.
// Text outside tables is read only for captions: the last line of text
// before a table names it when it has no <caption>.
func htmlTables(page []byte) []docTable {
	type carried struct {
		text string
		rows int // rows still to fill
	}
	type open struct {
		t       docTable
		row     *docRow
		cell    *strings.Builder
		colspan int
		rowspan int
		carry   map[int]carried // a rowspan's text, by column
		inHead  bool
		tds     int // <td> cells in the row: a row of <th> only is a header
		ths     int
		caption *strings.Builder
	}
	var (
		stack    []*open
		done     []docTable
		line     = 1
		lastText string
		skip     int // inside <script> or <style>
	)
	// fillCarried puts the cells of rowspans from rows above into the row
	// where the next cell of its own goes.
	fillCarried := func(o *open) {
		for {
			c, ok := o.carry[len(o.row.cells)]
			if !ok {
				return
			}
			o.row.cells = append(o.row.cells, c.text)
			if c.rows--; c.rows > 0 {
				o.carry[len(o.row.cells)-1] = c
			} else {
				delete(o.carry, len(o.row.cells)-1)
			}
		}
	}
	closeCell := func(o *open) {
		if o.cell != nil && o.row != nil {
			col, text := len(o.row.cells), clean(o.cell.String())
			// A colspan fills its columns, so that the cells after it stay
			// under their headers; a rowspan fills the rows below.
			o.row.cells = append(o.row.cells, text)
			o.row.cells = append(o.row.cells, make([]string, o.colspan-1)...)
			if o.rowspan > 1 {
				for c := col; c < col+o.colspan; c++ {
					o.carry[c] = carried{text: text, rows: o.rowspan - 1}
					text = ""
				}
			}
		}
		o.cell = nil
	}
	closeRow := func(o *open) {
		closeCell(o)
		if o.row != nil {
			// <th> cells beside <td> ones are row headers, such as the
			// code of each row.
			o.row.head = o.row.head || (o.ths > 0 && o.tds == 0)
			o.tds, o.ths = 0, 0
			fillCarried(o)
			if len(o.row.cells) > 0 {
				o.t.rows = append(o.t.rows, *o.row)
			}
		}
		o.row = nil
	}
	z := html.NewTokenizer(bytes.NewReader(page))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		tokLine := line
		line += bytes.Count(z.Raw(), []byte("\n"))
		var top *open
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch tt {
		case html.TextToken:
			if skip > 0 {
				continue
			}
			text := string(z.Text())
			switch {
			case top == nil:
				for _, l := range strings.Split(text, "\n") {
					if l = markdownText(l); l != "" {
						lastText = l
					}
				}
			case top.caption != nil:
				top.caption.WriteString(text)
			case top.cell != nil:
				top.cell.WriteString(text)
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			start := tt != html.EndTagToken
			switch tag {
			case "script", "style":
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
				continue
			}
			if top == nil && tag != "table" {
				continue
			}
			switch {
			case tag == "table" && start:
				if tt == html.SelfClosingTagToken {
					continue
				}
				if len(stack) >= 64 {
					continue // a bound for pathological nesting
				}
				stack = append(stack, &open{t: docTable{line: tokLine, caption: lastText}, carry: map[int]carried{}})
				lastText = ""
			case tag == "table":
				if top == nil {
					continue
				}
				closeRow(top)
				top.t.lastLine = line
				stack = stack[:len(stack)-1]
				done = append(done, top.t)
			case tag == "caption" && start:
				top.caption = &strings.Builder{}
			case tag == "caption":
				if top.caption != nil {
					if c := clean(top.caption.String()); c != "" {
						top.t.caption = c
					}
				}
				top.caption = nil
			case tag == "thead":
				top.inHead = start
			case tag == "tbody" || tag == "tfoot":
				closeRow(top)
				top.inHead = false
			case tag == "tr" && start:
				closeRow(top)
				top.row = &docRow{line: tokLine, head: top.inHead}
			case tag == "tr":
				closeRow(top)
			case (tag == "td" || tag == "th") && start:
				if top.row == nil {
					top.row = &docRow{line: tokLine, head: top.inHead}
				}
				closeCell(top)
				fillCarried(top)
				if tag == "th" {
					top.ths++
				} else {
					top.tds++
				}
				top.cell, top.colspan, top.rowspan = &strings.Builder{}, 1, 1
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					n, err := strconv.Atoi(strings.TrimSpace(string(v)))
					if err != nil || n < 1 {
						continue
					}
					// Bounded, as a page may say colspan=1000000.
					switch string(k) {
					case "colspan":
						top.colspan = min(n, 64)
					case "rowspan":
						top.rowspan = min(n, 1000)
					}
				}
			case tag == "td" || tag == "th":
				closeCell(top)
			case tag == "br" || tag == "p" || tag == "div" || tag == "li":
				// Block breaks inside a cell separate words.
				if top.cell != nil {
					top.cell.WriteByte(' ')
				} else if top.caption != nil {
					top.caption.WriteByte(' ')
				}
			}
		}
	}
	// Tables the page never closes end with it.
	for i := len(stack) - 1; i >= 0; i-- {
		closeRow(stack[i])
		stack[i].t.lastLine = line
		done = append(done, stack[i].t)
	}
	return done
}

var (
	mdDelimiter = regexp.MustCompile(`^\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?$`)
	mdLink      = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	mdEmphasis  = strings.NewReplacer("**", "", "__", "", "`", "")
)

// markdownTables returns the page's Markdown pipe tables, leaving out the
// lines of the HTML tables already read and of fenced code blocks.
func markdownTables(page []byte, htmlTables []docTable) []docTable {
	lines := strings.Split(string(page), "\n")
	htmlLine := make([]bool, len(lines)+2) // by line number
	for _, t := range htmlTables {
		for n := max(t.line, 0); n <= min(t.lastLine, len(lines)+1); n++ {
			htmlLine[n] = true
		}
	}
	inHTML := func(n int) bool { return n < len(htmlLine) && htmlLine[n] }
	var (
		out      []docTable
		fence    string
		lastText string
	)
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if fence != "" {
			if strings.HasPrefix(l, fence) {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(l, "```") || strings.HasPrefix(l, "~~~") {
			fence = l[:3]
			continue
		}
		if inHTML(i + 1) {
			continue
		}
		if !isMarkdownHeader(l, lines, i) || inHTML(i+2) {
			if t := markdownText(stripTags(l)); t != "" {
				lastText = t
			}
			continue
		}
		t := docTable{line: i + 1, caption: lastText}
		t.rows = append(t.rows, docRow{line: i + 1, head: true, cells: markdownCells(l)})
		i += 2
		for ; i < len(lines); i++ {
			l := strings.TrimSpace(lines[i])
			if l == "" || !strings.Contains(l, "|") || inHTML(i+1) {
				break
			}
			t.rows = append(t.rows, docRow{line: i + 1, cells: markdownCells(l)})
		}
		i-- // the line that ended the table is read again
		t.lastLine = i + 1
		out = append(out, t)
		lastText = ""
	}
	return out
}

// isMarkdownHeader reports whether line i (l, trimmed) is a table's header:
// it has a pipe, and the next line is a delimiter row (|---|:--:|) of as
// many columns.
func isMarkdownHeader(l string, lines []string, i int) bool {
	if !strings.Contains(l, "|") || i+1 >= len(lines) {
		return false
	}
	d := strings.TrimSpace(lines[i+1])
	return mdDelimiter.MatchString(d) && len(markdownCells(d)) == len(markdownCells(l))
}

// markdownCells splits a table row at its pipes (not at escaped ones) and
// returns each cell's text.
func markdownCells(l string) []string {
	l = strings.TrimPrefix(l, "|")
	if strings.HasSuffix(l, "|") && !strings.HasSuffix(l, `\|`) {
		l = l[:len(l)-1]
	}
	var (
		cells []string
		b     strings.Builder
	)
	for i := 0; i < len(l); i++ {
		switch {
		case l[i] == '\\' && i+1 < len(l) && l[i+1] == '|':
			b.WriteByte('|')
			i++
		case l[i] == '|':
			cells = append(cells, markdownText(stripTags(b.String())))
			b.Reset()
		default:
			b.WriteByte(l[i])
		}
	}
	return append(cells, markdownText(stripTags(b.String())))
}

// markdownText removes a line's Markdown markup (heading marks, emphasis,
// code spans, links) and collapses its white space.
func markdownText(s string) string {
	s = strings.TrimLeft(strings.TrimSpace(s), "#>")
	s = mdLink.ReplaceAllString(s, "$1")
	s = mdEmphasis.Replace(s)
	return clean(s)
}

// stripTags returns the text of a fragment of HTML: tags dropped, entities
// decoded, <br> a space.
func stripTags(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return s
	}
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			b.Write(z.Text())
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			b.WriteByte(' ')
		}
	}
}
