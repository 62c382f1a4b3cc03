// Package classify owns status tables: the embedded default taken from the
// API reference's status-code page (shared/seed), user tables, the lookup
// from a status code to its documented meaning and category, and the
// importer that turns a documentation page's status table into a table file.
//
// A [Table] is loaded once, from the embedded default ([Default]) or from a
// YAML file ([LoadFile], [Parse]), and is read-only afterwards, so it may be
// shared between goroutines. A table lists codes and ranges of codes; every
// code's entry is worked out at load, so [Table.Lookup] is an array index.
// A listed code wins over a range holding it, and codes the table does not
// document fall back by class (1xx informational, 2xx success, 3xx
// redirect, 4xx client, 5xx server).
//
// [Import] reads the status tables of an HTML or Markdown page, and
// [Imported.YAML] prints them as a table file for review.
//
// It knows nothing of files being followed, log formats or metrics.
package classify

// Category is the coarse meaning of a status code. The set is closed: the
// documented categories of the contract plus the class fallbacks.
type Category string

// The categories of the contract.
const (
	Success       Category = "success"
	Client        Category = "client"
	Auth          Category = "auth"
	Permission    Category = "permission"
	NotFound      Category = "not-found"
	Server        Category = "server"
	Gateway       Category = "gateway"
	Redirect      Category = "redirect"
	Informational Category = "informational"
)

// Categories returns the closed set of categories in a stable order: by
// status class, the documented refinements of a class after the class's
// own category. The caller may modify the returned slice.
func Categories() []Category {
	return []Category{
		Informational,
		Success,
		Redirect,
		Client, Auth, Permission, NotFound,
		Server, Gateway,
	}
}

// Valid reports whether c is one of [Categories].
func (c Category) Valid() bool {
	switch c {
	case Success, Client, Auth, Permission, NotFound, Server, Gateway, Redirect, Informational:
		return true
	}
	return false
}

// The languages a meaning is written in.
const (
	LangEN = "en"
	LangZH = "zh"
)

// Langs returns the languages [Entry.Meaning] knows, the default first.
func Langs() []string { return []string{LangEN, LangZH} }

// ValidLang reports whether lang is one of [Langs]. It is exact: "zh-CN" or
// "EN" are not valid.
func ValidLang(lang string) bool { return lang == LangEN || lang == LangZH }

// Entry is what the table says of one code.
type Entry struct {
	Code        int
	Category    Category
	MeaningEN   string
	MeaningZH   string
	Description string // optional longer text from the table; never a label value
	Documented  bool   // false for a class fallback
}

// Meaning returns the entry's meaning in lang ([LangEN] or [LangZH]). When
// the entry has no text in that language it returns the other one; an
// unknown lang is treated as [LangEN].
func (e Entry) Meaning(lang string) string {
	if lang == LangZH {
		if e.MeaningZH != "" {
			return e.MeaningZH
		}
		return e.MeaningEN
	}
	if e.MeaningEN != "" {
		return e.MeaningEN
	}
	return e.MeaningZH
}
