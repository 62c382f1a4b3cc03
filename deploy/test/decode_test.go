package deploytest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// decodeStrict decodes YAML into v as the API server does with
// fieldValidation=Strict: a duplicate key, an unknown field or a field spelt
// in another case is an error.
func decodeStrict(data []byte, v any) error {
	j, err := yaml.YAMLToJSONStrict(data) // duplicate keys
	if err != nil {
		return err
	}
	strict, err := kjson.UnmarshalStrict(j, v, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

// typed returns the Go type of a manifest's apiVersion and kind.
func typed(apiVersion, kind string) (any, error) {
	switch apiVersion + " " + kind {
	case "v1 Namespace":
		return &corev1.Namespace{}, nil
	case "v1 ServiceAccount":
		return &corev1.ServiceAccount{}, nil
	case "v1 ConfigMap":
		return &corev1.ConfigMap{}, nil
	case "v1 Service":
		return &corev1.Service{}, nil
	case "apps/v1 DaemonSet":
		return &appsv1.DaemonSet{}, nil
	case "monitoring.coreos.com/v1 PodMonitor":
		return &monitoringv1.PodMonitor{}, nil
	case "monitoring.coreos.com/v1 PrometheusRule":
		return &monitoringv1.PrometheusRule{}, nil
	}
	return nil, fmt.Errorf("no Go type known for apiVersion %q kind %q: add it to typed()", apiVersion, kind)
}

// decodeObject decodes one assembled manifest into its type.
func decodeObject(o object) (any, error) {
	v, err := typed(o.APIVersion, o.Kind)
	if err != nil {
		return nil, err
	}
	if err := decodeStrict(o.YAML, v); err != nil {
		return nil, fmt.Errorf("%s: %w", o, err)
	}
	return v, nil
}

// TestDecodeStrict shows that the decoding the manifests pass would catch
// the mistakes a lenient decoder lets through silently.
func TestDecodeStrict(t *testing.T) {
	ds := string(readFile(t, "deploy", "kubernetes", "daemonset.yaml"))
	if err := decodeStrict([]byte(ds), &appsv1.DaemonSet{}); err != nil {
		t.Fatalf("daemonset.yaml itself: %v", err)
	}
	for _, tc := range []struct{ name, old, new string }{
		{"unknown field", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: true\n            readOnlyRoot: true"},
		{"field in another case", "readOnlyRootFilesystem: true", "readOnlyRootFileSystem: true"},
		{"duplicate key", "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: false\n            allowPrivilegeEscalation: true"},
		{"wrong type", "terminationGracePeriodSeconds: 30", "terminationGracePeriodSeconds: thirty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(ds, tc.old) {
				t.Fatalf("daemonset.yaml has no %q to change", tc.old)
			}
			bad := strings.Replace(ds, tc.old, tc.new, 1)
			if err := decodeStrict([]byte(bad), &appsv1.DaemonSet{}); err == nil {
				t.Errorf("decoded without error after %q -> %q", tc.old, tc.new)
			}
		})
	}
}
