package logformat

// autoParser detects the format of one file from its first lines and then
// reads the rest as that format. Until a line parses it tries each candidate
// and reports the combined parser's reason; the first line that parses fixes
// the format for good.
//
// The only candidates today are common and combined (one parser, told apart
// by the quoted referer after the size). A new candidate is tried in Parse
// before detection, and becomes next when it parses a line.
type autoParser struct {
	clf  clfParser // the detected CLF parser, named common or combined
	next Parser    // the detected parser; nil until a line parsed
}

// Parse implements Parser.
func (a *autoParser) Parse(line []byte, rec *Record) Reason {
	if a.next != nil {
		return a.next.Parse(line, rec)
	}
	r, combined := parseCLF(line, rec)
	if r == ReasonNone {
		a.clf.name = nameCommon
		if combined {
			a.clf.name = nameCombined
		}
		a.next = &a.clf
	}
	return r
}

// Name implements Parser: "auto" until a line parsed, then the detected format.
func (a *autoParser) Name() string {
	if a.next == nil {
		return nameAuto
	}
	return a.next.Name()
}
