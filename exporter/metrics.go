// Package exporter owns every metric the exporter serves, the counting sink
// that turns lines into those metrics, and the HTTP server with its landing
// page, health and readiness endpoints.
//
// It does not know how lines were read: the tailer (or replay) hands it
// blocks of lines through the tailer.Handler interface.
package exporter

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/httpstatus-exporter/httpstatus-exporter/tailer"
)

const namespace = "httpstatus"

// BuildInfo is what httpstatus_exporter_build_info says.
type BuildInfo struct {
	Version, Revision, GoVersion string
}

// Metrics holds the metric vectors of the contract, registered on one
// registry. Make one with NewMetrics per registry; add sources with NewSource.
type Metrics struct {
	responses     *prometheus.CounterVec
	codeInfo      *prometheus.GaugeVec
	linesRead     *prometheus.CounterVec
	linesUnparsed *prometheus.CounterVec
	readBytes     *prometheus.CounterVec
	filesFollowed *prometheus.GaugeVec
	rotations     *prometheus.CounterVec
	unreadBytes   *prometheus.GaugeVec
	lastRead      *prometheus.GaugeVec
	errors        *prometheus.CounterVec
	durations     *prometheus.HistogramVec
	formats       *prometheus.GaugeVec

	extraLabels []string // optional labels of responses_total, after source, code, category
}

// NewMetrics makes the metrics and registers them, with build info, on reg.
// extraLabels are the optional labels of responses_total that any source
// will use (ExtraLabelNames of their Labels).
func NewMetrics(reg prometheus.Registerer, build BuildInfo, extraLabels ...string) (*Metrics, error) {
	m := &Metrics{
		extraLabels: extraLabels,
		responses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "responses_total",
			Help: "HTTP responses read from access logs, by status code and its documented category.",
		}, append([]string{"source", "code", "category"}, extraLabels...)),
		codeInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "code_info",
			Help: "The meaning of a status code in the source's status table (always 1); join on code.",
		}, []string{"source", "code", "category", "meaning"}),
		linesRead: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "lines_read_total",
			Help: "Lines read from access logs, parsed or not.",
		}, []string{"source"}),
		linesUnparsed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "lines_unparsed_total",
			Help: "Lines read that gave no valid status (100-599), by reason.",
		}, []string{"source", "reason"}),
		readBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "read_bytes_total",
			Help: "Bytes of complete lines read from access logs.",
		}, []string{"source"}),
		filesFollowed: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "files_followed",
			Help: "Files being read now, rotated files still draining included.",
		}, []string{"source"}),
		rotations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "rotations_total",
			Help: "Rotations found in followed files, by kind (rename, truncate, delete).",
		}, []string{"source", "kind"}),
		unreadBytes: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "unread_bytes",
			Help: "Bytes in followed files not read yet (file sizes minus read positions).",
		}, []string{"source"}),
		lastRead: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "last_read_timestamp_seconds",
			Help: "Unix time at which lines were last read.",
		}, []string{"source"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "errors_total",
			Help: "Failures while following files or keeping the checkpoint, by reason.",
		}, []string{"source", "reason"}),
		formats: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "log_format_info",
			Help: "Line formats a source reads, as configured or as detected per file by auto (always 1).",
		}, []string{"source", "format"}),
		// Only sources with duration_histogram: true observe; the others
		// make no series.
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "request_duration_seconds",
			Help:    "Request durations logged with the responses, by source and status category.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
			// Native histogram beside the classic buckets, for Prometheus
			// servers that scrape them.
			NativeHistogramBucketFactor:     1.1,
			NativeHistogramMaxBucketNumber:  160,
			NativeHistogramMinResetDuration: time.Hour,
		}, []string{"source", "category"}),
	}
	buildInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Name: "exporter_build_info",
		Help: "The exporter's version, revision and Go version (always 1).",
	}, []string{"version", "revision", "goversion"})
	buildInfo.WithLabelValues(build.Version, build.Revision, build.GoVersion).Set(1)
	for _, c := range []prometheus.Collector{
		m.responses, m.codeInfo, m.linesRead, m.linesUnparsed, m.readBytes, m.filesFollowed,
		m.rotations, m.unreadBytes, m.lastRead, m.errors, m.durations, m.formats, buildInfo,
	} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Errors returns the counter of errors for source and reason, for failures
// found outside a source's tailer (the checkpoint file).
func (m *Metrics) Errors(source string, reason tailer.ErrorReason) prometheus.Counter {
	return m.errors.WithLabelValues(source, string(reason))
}
