// Package deploytest checks what deploy/ ships: the Kubernetes manifests in
// deploy/kubernetes and the example overlays, the plain Prometheus scrape
// config, and the systemd unit. Every manifest is decoded strictly into the
// Kubernetes and Prometheus Operator types (an unknown or misspelled field is
// an error, as the API server makes it), what the exporter needs of them is
// asserted, and the exporter binary is built and run with the DaemonSet's own
// arguments, config and probes.
//
// It is a Go module of its own so that k8s.io/api and the Prometheus
// Operator's types stay out of the exporter's module. It knows the exporter
// only as a command line: the binary it builds from ../../cmd/exporter.
package deploytest
