package exporter

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/httpstatus-exporter/httpstatus-exporter/classify"
)

// Labels are the optional labels a source adds to httpstatus_responses_total.
// Their values come from closed sets (method, upstream_category), from the
// node's pod log paths (namespace, container: opt-in, as pod churn would
// otherwise grow series), or from configuration (static).
type Labels struct {
	Method           bool // the request method: one of knownMethods, else OTHER
	UpstreamCategory bool // the category of the upstream's status, "none" without one
	Namespace        bool // from /var/log/pods/<namespace>_<pod>_<uid>/<container>/N.log
	Container        bool
	Static           map[string]string
}

// The label names of the optional labels, in the order they follow source,
// code and category.
const (
	labelMethod           = "method"
	labelUpstreamCategory = "upstream_category"
	labelNamespace        = "namespace"
	labelContainer        = "container"
)

// knownMethods are the values of the method label besides OTHER.
var knownMethods = [...]string{"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}

const methodOther = len(knownMethods) // index of OTHER

// methodIndex maps a request method to its index in knownMethods, or
// methodOther, without allocating.
func methodIndex(m []byte) int {
	for i, k := range knownMethods {
		if string(m) == k { // compiled to a comparison, no conversion
			return i
		}
	}
	return methodOther
}

func methodName(i int) string {
	if i < len(knownMethods) {
		return knownMethods[i]
	}
	return "OTHER"
}

// upstreamNone is the index after the categories: no upstream status logged.
var upstreamCategories = classify.Categories()

func upstreamName(i int) string {
	if i < len(upstreamCategories) {
		return string(upstreamCategories[i])
	}
	return "none"
}

var labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// reservedLabels may not be static labels: the exporter sets them, or
// Prometheus does (job, instance), or they mean something in PromQL (le).
var reservedLabels = []string{"source", "code", "category", "meaning", "reason", "kind", "format",
	labelMethod, labelUpstreamCategory, labelNamespace, labelContainer, "job", "instance", "le", "quantile"}

// Validate checks static label names and values.
func (l Labels) Validate() error {
	for k, v := range l.Static {
		if !labelNameRE.MatchString(k) || strings.HasPrefix(k, "__") {
			return fmt.Errorf("static label %q: not a valid label name", k)
		}
		if slices.Contains(reservedLabels, k) {
			return fmt.Errorf("static label %q: reserved", k)
		}
		if v == "" {
			return fmt.Errorf("static label %q: empty value", k)
		}
	}
	return nil
}

// Names is the optional label names of l, in canonical order.
func (l Labels) Names() []string {
	var n []string
	for _, on := range []struct {
		on   bool
		name string
	}{{l.Method, labelMethod}, {l.UpstreamCategory, labelUpstreamCategory}, {l.Namespace, labelNamespace}, {l.Container, labelContainer}} {
		if on.on {
			n = append(n, on.name)
		}
	}
	static := make([]string, 0, len(l.Static))
	for k := range l.Static {
		static = append(static, k)
	}
	slices.Sort(static)
	return append(n, static...)
}

// ExtraLabelNames is the union of the optional label names of every source:
// one metric has one set of label names, and a source that does not use one
// leaves it empty (which Prometheus reads as absent).
func ExtraLabelNames(ls ...Labels) []string {
	var union Labels
	union.Static = map[string]string{}
	for _, l := range ls {
		union.Method = union.Method || l.Method
		union.UpstreamCategory = union.UpstreamCategory || l.UpstreamCategory
		union.Namespace = union.Namespace || l.Namespace
		union.Container = union.Container || l.Container
		for k := range l.Static {
			union.Static[k] = "x"
		}
	}
	return union.Names()
}

// podLog is what a Kubernetes pod log path tells.
type podLog struct{ namespace, container string }

// parsePodLogPath reads namespace and container from kubelet's layouts:
// /var/log/pods/<namespace>_<pod>_<uid>/<container>/<n>.log (also rotated
// <n>.log.<time>) and /var/log/containers/<pod>_<namespace>_<container>-<id>.log.
func parsePodLogPath(path string) (podLog, bool) {
	path = filepath.Clean(path)
	file, dir := filepath.Base(path), filepath.Dir(path)
	if podDir := filepath.Dir(dir); filepath.Base(filepath.Dir(podDir)) == "pods" {
		parts := strings.Split(filepath.Base(podDir), "_")
		if len(parts) == 3 && parts[0] != "" && parts[1] != "" {
			return podLog{namespace: parts[0], container: filepath.Base(dir)}, true
		}
	}
	if filepath.Base(dir) == "containers" && strings.HasSuffix(file, ".log") {
		parts := strings.Split(strings.TrimSuffix(file, ".log"), "_")
		if len(parts) == 3 {
			c := parts[2]
			if i := strings.LastIndexByte(c, '-'); i > 0 {
				return podLog{namespace: parts[1], container: c[:i]}, true
			}
		}
	}
	return podLog{}, false
}
