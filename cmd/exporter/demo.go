package main

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/httpstatus-exporter/httpstatus-exporter/classify"
)

// demoPaths are the requests the demo serves, with the status each tends to get.
var demoRequests = []struct {
	method, path string
}{
	{"GET", "/api/v1/tasks"}, {"POST", "/api/v1/tasks"}, {"GET", "/api/v1/tasks/42"},
	{"PUT", "/api/v1/tasks/42"}, {"DELETE", "/api/v1/tasks/7"}, {"GET", "/healthz"},
	{"GET", "/static/app.js"}, {"GET", "/login"},
}

// writeDemo appends realistic nginx combined lines to path until ctx ends:
// mostly 200s, and every documented code of table now and then, plus a few
// undocumented ones (301, 304, 429) to show the class fallback.
func writeDemo(ctx context.Context, path string, table *classify.Table) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer f.Close()
	var codes []int
	for _, e := range table.Documented() {
		codes = append(codes, e.Code)
	}
	codes = append(codes, 301, 304, 429)
	rng := rand.New(rand.NewPCG(1, 2))
	w := bufio.NewWriter(f)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for round := 0; ; round++ {
		now := time.Now().UTC()
		for i := 0; i < 20; i++ {
			code := 200
			switch {
			case round == 0 && i < len(codes):
				code = codes[i] // every code at once, so the first scrape shows them all
			case rng.IntN(10) == 0:
				code = codes[rng.IntN(len(codes))]
			}
			r := demoRequests[rng.IntN(len(demoRequests))]
			fmt.Fprintf(w, "192.0.2.%d - - [%s] \"%s %s HTTP/1.1\" %d %d \"-\" \"demo-client/1.0\"\n",
				rng.IntN(250)+1, now.Format("02/Jan/2006:15:04:05 -0700"), r.method, r.path, code, 200+rng.IntN(5000))
		}
		if err := w.Flush(); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
