// Command exporter follows HTTP access logs, classifies every response's
// status by a documented status table and serves the counts to Prometheus.
//
// main only sets up signals, calls run and exits; everything else lives in
// run and the packages it wires together.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "exporter:", err)
		os.Exit(1)
	}
}
