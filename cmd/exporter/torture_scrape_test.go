package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Scrape load: wrk's 50 connections, each scraping /metrics again scrapeDelay
// after its last answer: 50 scrapes a second, 15 times what 50 Prometheus
// servers scraping every 15 s ask. Unpaced, wrk measures how many scrapes a
// second two shared cores can serve, which takes CPU from ingestion by
// construction (a scrape costs about 2 ms of CPU): that is measured and
// reported too, not asserted.
const (
	scrapeClients = 50
	scrapeDelay   = time.Second
)

// TestE2ETortureScrapeLoad measures how fast the exporter ingests a backlog
// with and without 50 clients scraping it, in alternating phases: scrapes all
// succeed, their p99 latency is reported, and ingestion slows by less than
// 20%.
//
// Ingestion is timed by the exporter itself: a prepared file of 2M lines is
// renamed over the followed log (a rotation), and the time from the rename
// to httpstatus_last_read_timestamp_seconds once all of them are counted is
// how long reading them took. Each loaded phase is compared with the idle
// phases before and after it; the figure is the median of those ratios.
func TestE2ETortureScrapeLoad(t *testing.T) {
	skipTorture(t)
	wrk := requireTool(t, "wrk")
	bin := buildExporter(t, t.TempDir())
	dir := t.TempDir()
	n := soakOr(2_000_000, 5_000_000)
	files := []string{filepath.Join(dir, "backlog-0"), filepath.Join(dir, "backlog-1")}
	for _, f := range files {
		writeBacklog(t, f, n)
	}
	path := filepath.Join(dir, "access.log")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// The exporter and wrk run at nice -10: what is measured is the two of
	// them sharing the machine, not whatever else it runs meanwhile (CI
	// neighbours, other tests): that would decide a 20% figure by itself.
	p := startExporterWith(t, bin, launch{prelude: "renice -n -10 -p $$ >/dev/null"},
		"--log.path="+path, "--log.format=combined", "--web.listen-address=127.0.0.1:0",
		"--checkpoint.file=", "--tail.rotate-wait=100ms")
	base := "http://" + p.addr
	waitReady(t, newClient(nil), base)
	script := filepath.Join(dir, "pace.lua")
	// Each client waits scrapeDelay on average, jittered by half either way,
	// as independent Prometheus servers do: the clients start together
	// (one burst of 50), then drift apart.
	if err := os.WriteFile(script, fmt.Appendf(nil, "function delay() return math.random(%d, %d) end\n",
		scrapeDelay.Milliseconds()/2, scrapeDelay.Milliseconds()*3/2), 0o644); err != nil {
		t.Fatal(err)
	}

	spare := files[1]
	if err := os.Rename(files[0], path); err != nil { // the first round: warm up
		t.Fatal(err)
	}
	// cpu is the exporter's CPU time spent during ingest calls, by arm.
	var cpu [2]float64
	arm := 0                   // 1 while wrk scrapes
	ingest := func() float64 { // one backlog; lines a second
		t.Helper()
		cpu0 := cpuSeconds(t, p)
		defer func() { cpu[arm] += cpuSeconds(t, p) - cpu0 }()
		before, _ := lastRead(t, base)
		away := files[0] // park the file read last under the name not taken
		if spare == away {
			away = files[1]
		}
		if err := os.Rename(path, away); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if err := os.Rename(spare, path); err != nil {
			t.Fatal(err)
		}
		var end float64
		waitFor(t, 60*time.Second, "backlog ingested", func() (bool, string) {
			lines, ts := lastRead(t, base)
			end = ts
			return lines >= before+float64(n), fmt.Sprintf("%v of %d lines", lines-before, n)
		})
		waitFor(t, 10*time.Second, "rotated file closed", func() (bool, string) {
			c, err := scrapeCounted(base)
			if err != nil {
				return false, err.Error()
			}
			return c.files == 1, fmt.Sprint(c.files, " files")
		})
		spare = away
		took := end - float64(start.UnixNano())/1e9
		return float64(n) / took
	}
	ingest() // warm up: page cache, the exporter's buffers

	// Phases of a few backlogs each, without and with scrapes, alternating
	// A B A B ... A: each B is compared with the A before and the A after,
	// so the machine's other load (CI neighbours, other tests), which comes
	// and goes, falls on both sides of each comparison alike.
	pairs := soakOr(5, 30)
	phaseLen := soakOr(3*time.Second, 10*time.Second) // several rounds of every client
	idlePhase := func() []float64 {
		var rs []float64
		for end := time.Now().Add(phaseLen); len(rs) < 3 || time.Now().Before(end); {
			rs = append(rs, ingest())
		}
		return rs
	}
	// loadedPhase ingests while wrk scrapes.
	loadedPhase := func(script string) ([]float64, wrkResult) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		res := make(chan wrkResult, 1)
		// wrk runs a whole number of seconds: the phase and one more, and
		// is waited for (stopping it early could lose its report).
		go func() { res <- runWrk(ctx, wrk, script, base+"/metrics", phaseLen+time.Second) }()
		time.Sleep(200 * time.Millisecond) // wrk's connections are up and scraping
		arm = 1
		rs := idlePhase()
		arm = 0
		r := <-res
		if r.err != nil {
			t.Fatalf("wrk: %v\n%s", r.err, r.out)
		}
		return rs, r
	}
	var idle, loaded, ratios []float64
	var runs []wrkResult
	machine0, self0, exporter0, began := machineCPU(t), selfCPU(t), cpuSeconds(t, p), time.Now()
	before := idlePhase()
	idle = append(idle, before...)
	// The figure is the median of the pairs' ratios. The machine's other
	// load can still make one round of pairs unlucky; then more pairs are
	// measured (at most maxRounds rounds) and the figure is the median of
	// all of them: a real slowdown shows in every round, noise averages out.
	maxRounds := soakOr(3, 1)
	var drop float64
	for round := 1; ; round++ {
		for range pairs {
			rs, r := loadedPhase(script)
			after := idlePhase()
			loaded, idle = append(loaded, rs...), append(idle, after...)
			runs = append(runs, r)
			ratios = append(ratios, quantile(rs, 0.5)/quantile(append(slices.Clone(before), after...), 0.5))
			before = after
		}
		drop = 1 - quantile(ratios, 0.5)
		if drop < 0.20 || round == maxRounds {
			break
		}
		t.Logf("after %d pairs the median drop is %.0f%%: %d pairs more", len(ratios), 100*drop, pairs)
	}
	idleCPU := cpu[0]
	loadedCPU := cpu[1]
	// What the rest of the machine used meanwhile: everything busy, less
	// the exporter, this test and wrk.
	var wrkCPU float64
	for _, r := range runs {
		wrkCPU += r.cpu
	}
	others := (machineCPU(t) - machine0 - (selfCPU(t) - self0) - (cpuSeconds(t, p) - exporter0) - wrkCPU) / time.Since(began).Seconds()
	// Unpaced: as many scrapes as the machine serves. Reported only.
	flood, floodRun := loadedPhase("")
	floodRatio := quantile(flood, 0.5) / quantile(before, 0.5)
	var requests, failed int
	var p99s []time.Duration
	var loadedFor time.Duration
	for _, r := range runs {
		requests += r.requests
		failed += r.failed
		loadedFor += r.took
		p99s = append(p99s, r.p99)
		if r.failed > 0 || r.requests == 0 {
			t.Errorf("wrk: %d requests, %d failed:\n%s", r.requests, r.failed, r.out)
		}
	}
	if floodRun.failed > 0 || floodRun.requests == 0 {
		t.Errorf("wrk unpaced: %d requests, %d failed:\n%s", floodRun.requests, floodRun.failed, floodRun.out)
	}
	// Beside wall-clock rates, what a line costs in the exporter's CPU time
	// (scrapes included in the loaded arm): the machine's other load does
	// not change it.
	idleEff := float64(n) * float64(len(idle)) / idleCPU
	loadedEff := float64(n) * float64(len(loaded)) / loadedCPU
	t.Logf("ingestion, lines/s without scrapes: %v", rates(idle))
	t.Logf("ingestion, lines/s with scrapes:    %v", rates(loaded))
	t.Logf("ingestion, lines/s unpaced scrapes: %v", rates(flood))
	t.Logf("with/without, by bracketed pair: %v", ratiosString(ratios))
	t.Logf("the rest of the machine used %.2f cores on average meanwhile", others)
	if drop >= 0.20 && others > busyMachine && os.Getenv("CI") != "true" {
		// Wall-clock rates on a machine that others keep busy measure them
		// as much as the exporter; CI (CI=true) fails instead of skipping.
		t.Skipf("ingestion dropped %.0f%% with scrapes, but the rest of the machine used %.2f cores on average: "+
			"the 20%% bound cannot be measured here (CI=true fails instead)", 100*drop, others)
	}
	if drop >= 0.20 {
		t.Errorf("ingestion with %d clients scraping: the median of %d pairs is %.2f of the rate without, a drop of %.0f%%, want under 20%%",
			scrapeClients, len(ratios), 1-drop, 100*drop)
	}
	slices.Sort(p99s)
	total := int64(n) * int64(len(idle)+len(loaded)+len(flood)+1)
	figures{written: total, counted: total, peakMiB: peakRSS(t, p), extra: []string{
		fmt.Sprintf("idle_mlps=%.2f", quantile(idle, 0.5)/1e6), fmt.Sprintf("loaded_mlps=%.2f", quantile(loaded, 0.5)/1e6),
		fmt.Sprintf("drop=%.1f%%", 100*drop), fmt.Sprintf("pairs=%d", len(ratios)),
		fmt.Sprintf("lines_per_cpu_s=%.1fM/%.1fM", idleEff/1e6, loadedEff/1e6),
		fmt.Sprintf("drop_p90=%.1f%%", 100*(1-quantile(loaded, 0.9)/quantile(idle, 0.9))),
		fmt.Sprintf("scrapes=%d", requests), fmt.Sprintf("failed=%d", failed),
		fmt.Sprintf("scrapes_per_s=%.0f", float64(requests)/loadedFor.Seconds()),
		fmt.Sprintf("scrape_p99_ms=%s..%s", durationsMS(p99s[:1]), durationsMS(p99s[len(p99s)-1:])),
		fmt.Sprintf("unpaced_scrapes_per_s=%.0f", float64(floodRun.requests)/floodRun.took.Seconds()),
		fmt.Sprintf("unpaced_p99_ms=%.1f", float64(floodRun.p99.Microseconds())/1000),
		fmt.Sprintf("unpaced_drop_median=%.1f%%", 100*(1-floodRatio)),
		fmt.Sprintf("others_cores=%.2f", others)}}.log(t)
}

// busyMachine is how many cores the rest of the machine may use on average
// while the scrape load is measured before a failed wall-clock bound is taken
// as the machine's and not the exporter's (outside CI).
const busyMachine = 0.5

// machineCPU is the CPU seconds every core has spent busy since boot.
func machineCPU(t *testing.T) float64 {
	t.Helper()
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	var busy float64
	for i, f := range fields[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		v, _ := strconv.ParseFloat(f, 64)
		busy += v
	}
	return busy / 100 // USER_HZ
}

// selfCPU is this test process's CPU seconds.
func selfCPU(t *testing.T) float64 {
	t.Helper()
	data, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / 100
}

func ratiosString(xs []float64) string {
	var b strings.Builder
	for _, x := range xs {
		fmt.Fprintf(&b, "%.2f ", x)
	}
	return b.String()
}

// writeBacklog writes n torture lines to path (10,000 distinct lines, repeated).
func writeBacklog(t *testing.T, path string, n int) {
	t.Helper()
	block := validLines("backlog", 10_000)
	f := createFile(t, path)
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	for i := 0; i < n; i += 10_000 {
		if _, err := w.Write(block); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

// lastRead is lines_read_total and last_read_timestamp_seconds.
func lastRead(t *testing.T, base string) (lines, ts float64) {
	t.Helper()
	f, err := scrape(newClient(nil), base+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	return f.value("httpstatus_lines_read_total"), f.value("httpstatus_last_read_timestamp_seconds")
}

type wrkResult struct {
	requests, failed int
	p99              time.Duration
	took             time.Duration // as wrk reports it
	cpu              float64       // wrk's own CPU seconds
	out              string
	err              error
}

var (
	wrkRequestsRE = regexp.MustCompile(`(\d+) requests in (\S+),`)
	wrkP99RE      = regexp.MustCompile(`(?m)^\s+99%\s+(\S+)$`)
	wrkSocketRE   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkNon2xxRE   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

// runWrk runs wrk against url for d (whole seconds) with the pacing script
// (none: unpaced) and parses its report.
func runWrk(ctx context.Context, wrk, script, url string, d time.Duration) wrkResult {
	args := []string{"--threads=2", fmt.Sprintf("--connections=%d", scrapeClients),
		fmt.Sprintf("--duration=%ds", int(d.Seconds())), "--timeout=5s", "--latency"}
	if script != "" {
		args = append(args, "--script="+script)
	}
	cmd := exec.CommandContext(ctx, "nice", append([]string{"-n", "-10", wrk}, append(args, url)...)...)
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.Output()
	r := wrkResult{out: string(out)}
	if cmd.ProcessState != nil {
		r.cpu = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	}
	m := wrkRequestsRE.FindStringSubmatch(r.out)
	p := wrkP99RE.FindStringSubmatch(r.out)
	if m == nil || p == nil {
		r.err = fmt.Errorf("wrk report not understood: %w", err)
		return r
	}
	r.requests, _ = strconv.Atoi(m[1])
	r.took, r.err = time.ParseDuration(m[2])
	if r.err != nil {
		return r
	}
	r.p99, r.err = time.ParseDuration(strings.TrimSpace(p[1]))
	if s := wrkSocketRE.FindStringSubmatch(r.out); s != nil {
		for _, v := range s[1:] {
			n, _ := strconv.Atoi(v)
			r.failed += n
		}
	}
	if s := wrkNon2xxRE.FindStringSubmatch(r.out); s != nil {
		n, _ := strconv.Atoi(s[1])
		r.failed += n
	}
	return r
}

// quantile is the q-quantile of xs (linear between the nearest two).
func quantile(xs []float64, q float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	pos := q * float64(len(s)-1)
	i := int(pos)
	if i+1 >= len(s) {
		return s[i]
	}
	return s[i] + (pos-float64(i))*(s[i+1]-s[i])
}

func rates(xs []float64) string {
	var b strings.Builder
	for _, x := range xs {
		fmt.Fprintf(&b, "%.2fM ", x/1e6)
	}
	return b.String()
}

func durationsMS(ds []time.Duration) string {
	var s []string
	for _, d := range ds {
		s = append(s, strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64))
	}
	return strings.Join(s, ",")
}

// TestE2ETortureCardinality feeds a log with every status value from 000 to
// 999 (and some that are not three digits) under every method and some
// garbage ones, to two sources: one without labels and one with the method
// label. The series can never exceed what configuration allows: one a code
// 100-599 (500), times the 10 method values (9 methods and OTHER).
func TestE2ETortureCardinality(t *testing.T) {
	skipTorture(t)
	bin := buildExporter(t, t.TempDir())
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(config, fmt.Appendf(nil, `sources:
  - name: plain
    paths: [%[1]q]
    format: combined
  - name: methods
    paths: [%[1]q]
    format: combined
    labels: {method: true}
`, path), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startExporter(t, bin, "--config.file="+config, "--web.listen-address=127.0.0.1:0", "--checkpoint.file=")
	base := "http://" + p.addr
	waitReady(t, newClient(nil), base)

	methods := []string{"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
		"get", "PROPFIND", "BREW", "X" + strings.Repeat("Y", 200), "G\x00T", "\xff\xfe", "-", ""}
	rng := rand.New(rand.NewPCG(7, 11))
	var lines int
	var b []byte
	add := func(method, status string) {
		b = fmt.Appendf(b, "198.51.100.9 - - [12/Mar/2025:10:00:00 +0000] \"%s /c/%d?SECRET-LINE-CONTENT HTTP/1.1\" %s 5 \"-\" \"card\"\n",
			method, rng.Uint64(), status)
		lines++
	}
	for code := range 1000 {
		for _, m := range methods {
			add(m, fmt.Sprintf("%03d", code))
		}
	}
	for range 20000 { // and random ones, some not three digits
		add(methods[rng.IntN(len(methods))], strconv.Itoa(rng.IntN(20000)-100))
	}
	appendFile(t, path, string(b))

	var f families
	waitFor(t, 60*time.Second, "every line read by both sources", func() (bool, string) {
		var err error
		f, err = scrape(newClient(nil), base+"/metrics")
		if err != nil {
			return false, err.Error()
		}
		got := f.series("httpstatus_lines_read_total", "source")
		return got["plain"] == float64(lines) && got["methods"] == float64(lines), fmt.Sprint(got, " of ", lines)
	})
	series := map[string]int{}    // httpstatus_ series by source
	perFamily := map[string]int{} // by family, across sources
	for name, fam := range f {
		if !strings.HasPrefix(name, "httpstatus_") {
			continue
		}
		for _, m := range fam.GetMetric() {
			series[labelValue(m, "source")]++
			perFamily[name]++
			code := labelValue(m, "code")
			if c, err := strconv.Atoi(code); code != "" && (err != nil || c < 100 || c > 599) {
				t.Errorf("%s has code %q", name, code)
			}
			if mv := labelValue(m, "method"); mv != "" && !slices.Contains(append(methods[:9:9], "OTHER"), mv) {
				t.Errorf("%s has method %q", name, mv)
			}
		}
	}
	bySource := func(name string) map[string]int {
		out := map[string]int{}
		for _, m := range f[name].GetMetric() {
			out[labelValue(m, "source")]++
		}
		return out
	}
	responses := bySource("httpstatus_responses_total")
	info := bySource("httpstatus_code_info")
	// The bounds: per source, one series per code 100-599, times the method
	// label's 10 values where it is on; code_info one per code.
	if responses["plain"] != 500 {
		t.Errorf("plain: %d responses series, want exactly 500 (every code 100-599 once)", responses["plain"])
	}
	if responses["methods"] > 500*10 {
		t.Errorf("methods: %d responses series, above the bound 5000", responses["methods"])
	}
	if info["plain"] > 500 || info["methods"] > 500 {
		t.Errorf("code_info series %v, above the bound 500 a source", info)
	}
	// Every other httpstatus_ family has a fixed number of series a source.
	// 10 allows for today's gauges, reasons, kinds and format info with room;
	// anything per line or per value would be thousands.
	for name, n := range perFamily {
		if name != "httpstatus_responses_total" && name != "httpstatus_code_info" && n > 2*10 {
			t.Errorf("%s has %d series", name, n)
		}
	}
	total := series["plain"] + series["methods"] + series[""]
	bound := 500 + 500*10 + 2*500 + 2*10*(len(perFamily)-2) + 1
	if total > bound {
		t.Errorf("%d httpstatus_ series, above the bound %d", total, bound)
	}
	countedFirst := f.series("httpstatus_lines_read_total", "source")["plain"]
	// More lines of the same kinds add no series.
	before := total
	appendFile(t, path, string(b[:len(b)/3]))
	waitFor(t, 30*time.Second, "more lines read", func() (bool, string) {
		var err error
		f, err = scrape(newClient(nil), base+"/metrics")
		if err != nil {
			return false, err.Error()
		}
		got := f.series("httpstatus_lines_read_total", "source")
		return got["methods"] > float64(lines), fmt.Sprint(got)
	})
	after := 0
	for name, fam := range f {
		if strings.HasPrefix(name, "httpstatus_") {
			after += len(fam.GetMetric())
		}
	}
	if after != before {
		t.Errorf("series %d after more lines of the same kinds, %d before", after, before)
	}
	checkNoLineContent(t, p.stderr.String())
	figures{written: int64(lines), counted: int64(countedFirst),
		peakMiB: peakRSS(t, p), extra: []string{
			fmt.Sprintf("series_plain=%d", responses["plain"]), fmt.Sprintf("series_methods=%d", responses["methods"]),
			fmt.Sprintf("httpstatus_series=%d", total), fmt.Sprintf("bound=%d", bound)}}.log(t)
}
