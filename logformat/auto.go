package logformat

import "bytes"

// autoParser detects the format of one file from its first lines and then
// reads the rest as that format; after a rotation the caller makes a new
// Parser, which detects again.
//
// Until it has decided, it tries each candidate on every line, in order from
// the most to the least particular (a line Caddy's parser accepts is also
// JSON, an ingress-nginx line is also combined), and decides for the first
// candidate that parses a line and finds it typical of its format. A W3C
// "#Fields:" header decides too (CloudFront's names x-edge- fields, IIS's
// do not). The container wrapper, CRI or Docker json-file, is recognised on
// the first wrapped line and taken off before the candidates see the line.
// Once decided, a line costs one call more than the format's own parser.
//
// vhost_combined and lighttpd read as combined (same status, no host), and
// regex:, nginx:, json:<key> and logfmt:<key> need their parameter: auto
// does not choose them.
type autoParser struct {
	next Parser // the decided parser; nil until then

	wrap wrapKind // the wrapper seen on the lines, if any
	u    unwrapper

	cands [numCands]Parser
	clf   *clfParser // cands' combined/common parser, named on decision
	iis   *w3cParser
	cf    *w3cParser
	want  Fields // given to the decided parser; candidates read every field to judge lines
}

// wanter is a parser that can be told which optional fields to read.
type wanter interface{ setWant(Fields) }

const numCands = 12

func newAuto(want Fields) *autoParser {
	a := &autoParser{
		clf:  &clfParser{name: nameCombined, kind: clfCombined, want: AllFields},
		iis:  newW3CParser(nameIIS, AllFields),
		cf:   newW3CParser(nameCloudFront, AllFields),
		want: want,
	}
	a.cands = [numCands]Parser{
		&caddyParser{want: AllFields},
		&traefikJSONParser{want: AllFields},
		&envoyParser{want: AllFields},
		&albParser{want: AllFields},
		&haproxyParser{want: AllFields},
		a.iis,
		a.cf,
		&clfParser{name: nameIngressNginx, kind: clfIngress, want: AllFields},
		&clfParser{name: nameTraefik, kind: clfTraefik, want: AllFields},
		a.clf,
		newJSONParser(nameJSON, "status", AllFields),
		newLogfmtParser(nameLogfmt, "status", AllFields),
	}
	return a
}

// lax says whether a candidate takes lines of many kinds (any JSON object,
// any key=value text): its bad status does not make an undecided line a bad
// status, only a no_match.
func lax(p Parser) bool {
	switch p.(type) {
	case *jsonParser, *logfmtParser:
		return true
	}
	return false
}

// Parse implements Parser.
func (a *autoParser) Parse(line []byte, rec *Record) Reason {
	if a.next != nil {
		return a.next.Parse(line, rec)
	}
	*rec = Record{}
	if a.wrap == 0 {
		switch {
		case bytes.HasPrefix(line, []byte(`{"log":`)):
			a.wrap = wrapDocker
		default:
			if _, _, _, _, ok := cri(trimCR(line)); ok {
				a.wrap = wrapCRI
			}
		}
		a.u.kind = a.wrap
	}
	if a.wrap != 0 {
		c, t, r := a.u.unwrap(line)
		if r != ReasonNone {
			return r
		}
		r = a.detect(c, rec)
		if r == ReasonNone && rec.Time.IsZero() {
			rec.Time = t
		}
		return r
	}
	return a.detect(line, rec)
}

// detect tries the candidates on one (unwrapped) line.
func (a *autoParser) detect(line []byte, rec *Record) Reason {
	if blank(line) {
		return ReasonEmpty
	}
	if l := trimCR(line); bytes.HasPrefix(l, []byte("#Fields:")) {
		w := a.iis
		if bytes.Contains(l, []byte(" x-edge-")) {
			w = a.cf
		}
		r := w.Parse(line, rec)
		a.decide(w)
		return r
	}
	badStatus, header := false, false
	for _, c := range a.cands {
		r := c.Parse(line, rec)
		switch r {
		case ReasonNone:
			if p, ok := c.(*clfParser); ok && !p.typical {
				continue
			}
			a.decide(c)
			return ReasonNone
		case ReasonBadStatus:
			badStatus = badStatus || !lax(c)
		case ReasonHeader:
			header = true
		}
	}
	*rec = Record{}
	switch {
	case badStatus:
		return ReasonBadStatus
	case header:
		return ReasonHeader
	}
	return ReasonNoMatch
}

// decide makes p the file's parser, in the wrapper if there is one.
func (a *autoParser) decide(p Parser) {
	if p == Parser(a.clf) && !a.clf.combined {
		a.clf.name = nameCommon
	}
	if w, ok := p.(wanter); ok {
		w.setWant(a.want)
	}
	if a.wrap == 0 {
		a.next = p
		return
	}
	w := &wrapParser{u: a.u, inner: p}
	w.Name()
	a.next = w
}

// Name implements Parser: "auto" until decided, then the detected format.
func (a *autoParser) Name() string {
	if a.next == nil {
		return nameAuto
	}
	return a.next.Name()
}
