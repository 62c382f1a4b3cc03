package classify

import (
	_ "embed"
	"fmt"
	"os"
	"slices"
)

// The range of valid status codes; the contract accepts three digits from
// 100 to 599 and nothing else.
const (
	MinCode = 100
	MaxCode = 599
)

//go:embed default_table.yaml
var defaultTable []byte

// DefaultName is the name the embedded default table carries in errors and
// in [Table.Name].
const DefaultName = "embedded default_table.yaml"

// Table maps every status code from [MinCode] to [MaxCode] to an [Entry].
// It is immutable once loaded and safe for concurrent use.
type Table struct {
	name      string
	reference string
	// entries is indexed by status code so that Lookup is one bounds check
	// and one copy; entries below MinCode are unused.
	entries    [MaxCode + 1]Entry
	documented []Entry
}

// Default parses the table embedded in the binary, the seed's status page.
// An error means the binary was built from a broken default_table.yaml; the
// package's tests load it, so a released binary does not return one.
func Default() (*Table, error) {
	return Parse(DefaultName, defaultTable)
}

// LoadFile reads and parses the table file at path. Errors name the file
// and, for problems in its content, the line (see [ParseError]).
func LoadFile(path string) (*Table, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		// The *fs.PathError already names the path.
		return nil, fmt.Errorf("classify: read table: %w", err)
	}
	return Parse(path, data)
}

// newTable fills the lookup array once, so that Lookup is an index: the
// class fallback of every code, then the ranges over it, then the exact
// codes over those (codes win over ranges, ranges over the class).
func newTable(name string, p parsed) *Table {
	t := &Table{name: name, reference: p.reference}
	for code := MinCode; code <= MaxCode; code++ {
		t.entries[code] = fallback(code)
	}
	for _, r := range p.ranges {
		for code := r.Code; code <= r.to; code++ {
			e := r.Entry
			e.Code, e.Documented = code, true
			t.entries[code] = e
		}
	}
	for _, e := range p.codes {
		e.Documented = true
		t.entries[e.Code] = e
	}
	for code := MinCode; code <= MaxCode; code++ {
		if t.entries[code].Documented {
			t.documented = append(t.documented, t.entries[code])
		}
	}
	return t
}

// Name returns the name the table was parsed under: the file path, or
// [DefaultName] for the embedded default.
func (t *Table) Name() string { return t.name }

// Reference returns the table's optional reference text: where its
// documentation was taken from.
func (t *Table) Reference() string { return t.reference }

// Lookup returns the entry for code. It does not allocate. A code the table
// lists wins over a range holding it; codes the table does not document,
// by either, get their class fallback (Documented false). A code
// outside [MinCode]..[MaxCode] is not a status: Lookup returns an Entry with
// only Code set and an empty Category, and callers are expected to have
// rejected such codes before.
func (t *Table) Lookup(code int) Entry {
	if code < MinCode || code > MaxCode {
		return Entry{Code: code}
	}
	return t.entries[code]
}

// Documented returns the entries the table documents, sorted by code: its
// codes and every code of its ranges. The caller may modify the returned
// slice.
func (t *Table) Documented() []Entry {
	return slices.Clone(t.documented)
}

// fallbacks holds the class fallback of each status class, indexed by the
// code's first digit.
var fallbacks = [...]struct {
	category Category
	en, zh   string
}{
	1: {Informational, "Undocumented 1xx: informational", "未记录的 1xx：信息响应"},
	2: {Success, "Undocumented 2xx: success", "未记录的 2xx：成功"},
	3: {Redirect, "Undocumented 3xx: redirection", "未记录的 3xx：重定向"},
	4: {Client, "Undocumented 4xx: client error", "未记录的 4xx：客户端错误"},
	5: {Server, "Undocumented 5xx: server error", "未记录的 5xx：服务器错误"},
}

// fallback returns the class entry for a code in MinCode..MaxCode.
func fallback(code int) Entry {
	f := fallbacks[code/100]
	return Entry{Code: code, Category: f.category, MeaningEN: f.en, MeaningZH: f.zh}
}
