package logformat

import "time"

// The time parsers read the few shapes access logs use, without the time
// package's layouts (which take strings and allocate on error). Each returns
// the instant in UTC and whether the text had the shape and valid values.

// daysFromCivil returns the days from 1970-01-01 to y-m-d (proleptic
// Gregorian), after Howard Hinnant's days_from_civil.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

var monthDays = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// mkTime builds the instant from its fields; offset is the zone's offset
// east of UTC in seconds. It refuses out-of-range fields (a leap second
// :60 is taken as :59).
func mkTime(y, mo, d, h, mi, s, nsec, offset int) (time.Time, bool) {
	if y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > monthDays[mo] || h > 23 || mi > 59 || s > 60 {
		return time.Time{}, false
	}
	if mo == 2 && d == 29 && (y%4 != 0 || (y%100 == 0 && y%400 != 0)) {
		return time.Time{}, false
	}
	if s == 60 {
		s = 59
	}
	sec := daysFromCivil(y, mo, d)*86400 + int64(h*3600+mi*60+s) - int64(offset)
	return time.Unix(sec, int64(nsec)).UTC(), true
}

// digits returns the value of b[i:i+n] when those are n ASCII digits.
func digits(b []byte, i, n int) (int, bool) {
	if i < 0 || i+n > len(b) {
		return 0, false
	}
	v := 0
	for _, c := range b[i : i+n] {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

var monthAbbr = [12][3]byte{
	{'J', 'a', 'n'}, {'F', 'e', 'b'}, {'M', 'a', 'r'}, {'A', 'p', 'r'}, {'M', 'a', 'y'}, {'J', 'u', 'n'},
	{'J', 'u', 'l'}, {'A', 'u', 'g'}, {'S', 'e', 'p'}, {'O', 'c', 't'}, {'N', 'o', 'v'}, {'D', 'e', 'c'},
}

func monthOf(b []byte) int {
	if len(b) < 3 {
		return 0
	}
	for i, m := range monthAbbr {
		if b[0] == m[0] && b[1] == m[1] && b[2] == m[2] {
			return i + 1
		}
	}
	return 0
}

// parseCLFTime reads the time of the common log format, as in
// "10/Oct/2000:13:55:36 -0700" (nginx $time_local, Apache %t without the
// brackets). A fraction after the seconds (HAProxy's ".395") is read; a
// missing zone is refused, since the writer's local zone is unknown here.
func parseCLFTime(b []byte) (time.Time, bool) {
	if len(b) < 26 || b[2] != '/' || b[6] != '/' || b[11] != ':' || b[14] != ':' || b[17] != ':' {
		return time.Time{}, false
	}
	d, ok1 := digits(b, 0, 2)
	mo := monthOf(b[3:6])
	y, ok2 := digits(b, 7, 4)
	h, ok3 := digits(b, 12, 2)
	mi, ok4 := digits(b, 15, 2)
	s, ok5 := digits(b, 18, 2)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || mo == 0 {
		return time.Time{}, false
	}
	i := 20
	nsec, i := fraction(b, i)
	if i >= len(b) || b[i] != ' ' {
		return time.Time{}, false
	}
	off, n, ok := zoneOffset(b[i+1:])
	if !ok || i+1+n != len(b) {
		return time.Time{}, false
	}
	return mkTime(y, mo, d, h, mi, s, nsec, off)
}

// fraction reads ".ddd" at b[i:] as nanoseconds (digits past the ninth are
// ignored) and returns it with the index after it.
func fraction(b []byte, i int) (nsec, next int) {
	if i >= len(b) || b[i] != '.' {
		return 0, i
	}
	i++
	scale := 100000000
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		nsec += int(b[i]-'0') * scale
		scale /= 10
		i++
	}
	return nsec, i
}

// zoneOffset reads "Z", "+hh:mm", "+hhmm" or "+hh" at the start of b and
// returns the offset in seconds and its length.
func zoneOffset(b []byte) (offset, n int, ok bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	if b[0] == 'Z' || b[0] == 'z' {
		return 0, 1, true
	}
	if b[0] != '+' && b[0] != '-' {
		return 0, 0, false
	}
	h, okh := digits(b, 1, 2)
	if !okh || h > 23 {
		return 0, 0, false
	}
	n, m := 3, 0
	switch {
	case len(b) >= 6 && b[3] == ':':
		mm, okm := digits(b, 4, 2)
		if !okm {
			return 0, 0, false
		}
		n, m = 6, mm
	case len(b) >= 5 && b[3] >= '0' && b[3] <= '9':
		mm, okm := digits(b, 3, 2)
		if !okm {
			return 0, 0, false
		}
		n, m = 5, mm
	}
	if m > 59 {
		return 0, 0, false
	}
	offset = h*3600 + m*60
	if b[0] == '-' {
		offset = -offset
	}
	return offset, n, true
}

// parseISOTime reads RFC 3339 times and their relatives: "2006-01-02T15:04:05",
// a space for the 'T', an optional fraction, and a zone ("Z", "+07:00",
// "+0700"). A time without a zone is refused: the writer's zone is unknown.
func parseISOTime(b []byte) (time.Time, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != ' ' && b[10] != 't') || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	y, ok1 := digits(b, 0, 4)
	mo, ok2 := digits(b, 5, 2)
	d, ok3 := digits(b, 8, 2)
	h, ok4 := digits(b, 11, 2)
	mi, ok5 := digits(b, 14, 2)
	s, ok6 := digits(b, 17, 2)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 {
		return time.Time{}, false
	}
	nsec, i := fraction(b, 19)
	off, n, ok := zoneOffset(b[i:])
	if !ok || i+n != len(b) {
		return time.Time{}, false
	}
	return mkTime(y, mo, d, h, mi, s, nsec, off)
}

// parseW3CTime reads a W3C extended log's date ("2006-01-02") and time
// ("15:04:05", optionally with a fraction), which the format defines as UTC.
func parseW3CTime(date, clock []byte) (time.Time, bool) {
	if len(date) != 10 || date[4] != '-' || date[7] != '-' || len(clock) < 8 || clock[2] != ':' || clock[5] != ':' {
		return time.Time{}, false
	}
	y, ok1 := digits(date, 0, 4)
	mo, ok2 := digits(date, 5, 2)
	d, ok3 := digits(date, 8, 2)
	h, ok4 := digits(clock, 0, 2)
	mi, ok5 := digits(clock, 3, 2)
	s, ok6 := digits(clock, 6, 2)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 {
		return time.Time{}, false
	}
	nsec, i := fraction(clock, 8)
	if i != len(clock) {
		return time.Time{}, false
	}
	return mkTime(y, mo, d, h, mi, s, nsec, 0)
}

// parseUnixTime reads seconds since the epoch with an optional fraction
// ("1693840791.7564995", nginx $msec, Caddy's ts).
func parseUnixTime(b []byte) (time.Time, bool) {
	if len(b) == 0 || len(b) > 30 {
		return time.Time{}, false
	}
	var sec int64
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		if i >= 12 { // past the year 33658: not a log's time
			return time.Time{}, false
		}
		sec = sec*10 + int64(b[i]-'0')
		i++
	}
	if i == 0 {
		return time.Time{}, false
	}
	nsec, j := fraction(b, i)
	if j != len(b) || (j == i+1) {
		return time.Time{}, false
	}
	return time.Unix(sec, int64(nsec)).UTC(), true
}

// parseAnyTime reads a time of any shape above, told apart by its first
// bytes; used for fields whose writer is not known (json, logfmt, regex).
func parseAnyTime(b []byte) (time.Time, bool) {
	switch {
	case len(b) >= 19 && b[4] == '-':
		return parseISOTime(b)
	case len(b) >= 26 && b[2] == '/':
		return parseCLFTime(b)
	default:
		return parseUnixTime(b)
	}
}
