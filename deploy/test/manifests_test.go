package deploytest

import (
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The exporter's defaults (CONTRACT.md, `exporter run --help`) for flags the
// DaemonSet may leave out.
const (
	defaultListen     = ":10066"
	defaultCheckpoint = "/var/lib/httpstatus-exporter/positions.json"
	defaultTelemetry  = "/metrics"
	// On SIGTERM the tailer reads what is already written for at most this
	// long before the checkpoint is written (README, Lifecycle).
	drainBound = 5 * time.Second
	nonroot    = 65532
	admGID     = 4
)

// base is deploy/kubernetes assembled and decoded.
type base struct {
	objects   []object
	namespace *corev1.Namespace
	account   *corev1.ServiceAccount
	configMap *corev1.ConfigMap // the exporter's --config.file
	ds        *appsv1.DaemonSet
	service   *corev1.Service
	monitor   *monitoringv1.PodMonitor
}

func loadBase(t *testing.T) *base {
	t.Helper()
	objs, err := build(baseDir())
	if err != nil {
		t.Fatal(err)
	}
	b := &base{objects: objs}
	for _, o := range objs {
		v, err := decodeObject(o)
		if err != nil {
			t.Fatal(err)
		}
		one := func(ok bool) {
			if !ok {
				t.Fatalf("%s: a second %s", o, o.Kind)
			}
		}
		switch v := v.(type) {
		case *corev1.Namespace:
			one(b.namespace == nil)
			b.namespace = v
		case *corev1.ServiceAccount:
			one(b.account == nil)
			b.account = v
		case *corev1.ConfigMap:
			if v.Name == "httpstatus-exporter-config" {
				b.configMap = v
			}
		case *appsv1.DaemonSet:
			one(b.ds == nil)
			b.ds = v
		case *corev1.Service:
			one(b.service == nil)
			b.service = v
		case *monitoringv1.PodMonitor:
			one(b.monitor == nil)
			b.monitor = v
		}
	}
	for what, missing := range map[string]bool{
		"Namespace": b.namespace == nil, "ServiceAccount": b.account == nil,
		"ConfigMap httpstatus-exporter-config": b.configMap == nil, "DaemonSet": b.ds == nil,
		"Service": b.service == nil, "PodMonitor": b.monitor == nil,
	} {
		if missing {
			t.Fatalf("deploy/kubernetes has no %s", what)
		}
	}
	return b
}

// exporter is the DaemonSet's exporter container.
func (b *base) exporter(t *testing.T) *corev1.Container {
	t.Helper()
	for i, c := range b.ds.Spec.Template.Spec.Containers {
		if c.Name == "exporter" {
			return &b.ds.Spec.Template.Spec.Containers[i]
		}
	}
	t.Fatal("the DaemonSet has no container named exporter")
	return nil
}

// flag returns the value of --name=value (or --name value) in args, or def.
func flag(args []string, name, def string) string {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
		if a == "--"+name && i+1 < len(args) {
			return args[i+1]
		}
	}
	return def
}

// listenPort is the port of the exporter's (first) --web.listen-address.
func listenPort(t *testing.T, c *corev1.Container) int32 {
	t.Helper()
	_, port, err := net.SplitHostPort(flag(c.Args, "web.listen-address", defaultListen))
	if err != nil {
		t.Fatal(err)
	}
	p, err := strconv.ParseInt(port, 10, 32)
	if err != nil {
		t.Fatal(err)
	}
	return int32(p)
}

func namedPort(t *testing.T, c *corev1.Container, port intstr.IntOrString) int32 {
	t.Helper()
	if port.Type == intstr.Int {
		return port.IntVal
	}
	for _, p := range c.Ports {
		if p.Name == port.StrVal {
			return p.ContainerPort
		}
	}
	t.Fatalf("container %s has no port named %q", c.Name, port.StrVal)
	return 0
}

func volume(t *testing.T, ds *appsv1.DaemonSet, name string) corev1.Volume {
	t.Helper()
	for _, v := range ds.Spec.Template.Spec.Volumes {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("the DaemonSet has no volume %q", name)
	return corev1.Volume{}
}

// mountOf returns the mount of c whose mountPath holds p.
func mountOf(c *corev1.Container, p string) (corev1.VolumeMount, bool) {
	var best corev1.VolumeMount
	found := false
	for _, m := range c.VolumeMounts {
		if (p == m.MountPath || strings.HasPrefix(p, strings.TrimSuffix(m.MountPath, "/")+"/")) &&
			len(m.MountPath) >= len(best.MountPath) {
			best, found = m, true
		}
	}
	return best, found
}

func TestManifestsNamespace(t *testing.T) {
	b := loadBase(t)
	for _, o := range b.objects {
		if o.Kind != "Namespace" && o.Namespace != b.namespace.Name {
			t.Errorf("%s: in namespace %q, not %q", o, o.Namespace, b.namespace.Name)
		}
	}
	if got := b.namespace.Labels["pod-security.kubernetes.io/enforce"]; got != "privileged" {
		t.Errorf("namespace pod-security enforce = %q: the hostPath volumes need privileged", got)
	}
}

func TestDaemonSet(t *testing.T) {
	b := loadBase(t)
	ds := b.ds
	spec := ds.Spec.Template.Spec
	c := b.exporter(t)

	t.Run("selector matches the template's labels", func(t *testing.T) {
		sel, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
		if err != nil {
			t.Fatal(err)
		}
		if sel.Empty() || !sel.Matches(labels.Set(ds.Spec.Template.Labels)) {
			t.Errorf("selector %v does not select the template's labels %v", sel, ds.Spec.Template.Labels)
		}
	})

	t.Run("service account", func(t *testing.T) {
		if spec.ServiceAccountName != b.account.Name {
			t.Errorf("serviceAccountName %q, the ServiceAccount is %q", spec.ServiceAccountName, b.account.Name)
		}
		if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
			t.Error("the exporter never calls the API: automountServiceAccountToken should be false")
		}
	})

	t.Run("rolling update, 10% at a time", func(t *testing.T) {
		u := ds.Spec.UpdateStrategy
		if u.Type != appsv1.RollingUpdateDaemonSetStrategyType || u.RollingUpdate == nil {
			t.Fatalf("updateStrategy %+v", u)
		}
		if diff := cmp.Diff(intstr.FromString("10%"), *u.RollingUpdate.MaxUnavailable); diff != "" {
			t.Errorf("maxUnavailable (-want +got):\n%s", diff)
		}
	})

	t.Run("tolerates every taint", func(t *testing.T) {
		want := []corev1.Toleration{{Operator: corev1.TolerationOpExists}}
		if diff := cmp.Diff(want, spec.Tolerations); diff != "" {
			t.Errorf("tolerations (-want +got):\n%s", diff)
		}
	})

	t.Run("pod security context", func(t *testing.T) {
		sc := spec.SecurityContext
		if sc == nil {
			t.Fatal("no pod securityContext")
		}
		if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
			t.Error("runAsNonRoot is not true")
		}
		if sc.RunAsUser == nil || *sc.RunAsUser != nonroot {
			t.Errorf("runAsUser %v, want %d", sc.RunAsUser, nonroot)
		}
		if !slices.Contains(sc.SupplementalGroups, admGID) {
			t.Errorf("supplementalGroups %v lacks adm (%d): root:adm 0640 logs stay unreadable", sc.SupplementalGroups, admGID)
		}
		if sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("seccompProfile %v, want RuntimeDefault", sc.SeccompProfile)
		}
		if spec.HostNetwork || spec.HostPID || spec.HostIPC {
			t.Error("a host namespace is shared; the exporter needs none")
		}
	})

	t.Run("container security context", func(t *testing.T) {
		all := append(slices.Clone(spec.InitContainers), spec.Containers...)
		for _, ct := range all {
			sc := ct.SecurityContext
			if sc == nil {
				t.Errorf("%s: no securityContext", ct.Name)
				continue
			}
			if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				t.Errorf("%s: allowPrivilegeEscalation is not false", ct.Name)
			}
			if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
				t.Errorf("%s: readOnlyRootFilesystem is not true", ct.Name)
			}
			if sc.Privileged != nil && *sc.Privileged {
				t.Errorf("%s: privileged", ct.Name)
			}
			if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
				t.Errorf("%s: capabilities do not drop ALL: %+v", ct.Name, sc.Capabilities)
			}
		}
		sc := c.SecurityContext
		if sc.Capabilities != nil && len(sc.Capabilities.Add) > 0 {
			t.Errorf("exporter: adds capabilities %v", sc.Capabilities.Add)
		}
		if sc.RunAsNonRoot != nil && !*sc.RunAsNonRoot || sc.RunAsUser != nil && *sc.RunAsUser != nonroot {
			t.Errorf("exporter: overrides the pod's non-root user: %+v", sc)
		}
		for _, ic := range spec.InitContainers {
			if add := ic.SecurityContext.Capabilities.Add; !slices.Equal(add, []corev1.Capability{"CHOWN"}) {
				t.Errorf("init container %s adds %v; it only chowns the checkpoint folder", ic.Name, add)
			}
		}
	})

	t.Run("logs: /var/log read-only from the host", func(t *testing.T) {
		m, ok := mountOf(c, "/var/log/nginx/access.log")
		if !ok {
			t.Fatal("no mount holds /var/log")
		}
		if m.MountPath != "/var/log" || !m.ReadOnly {
			t.Errorf("mount %+v: want /var/log read-only", m)
		}
		if m.MountPropagation == nil || *m.MountPropagation != corev1.MountPropagationHostToContainer {
			t.Errorf("mount %s: mountPropagation %v, want HostToContainer", m.Name, m.MountPropagation)
		}
		v := volume(t, ds, m.Name)
		if v.HostPath == nil || v.HostPath.Path != "/var/log" {
			t.Fatalf("volume %s is not hostPath /var/log: %+v", v.Name, v.VolumeSource)
		}
		if v.HostPath.Type == nil || *v.HostPath.Type != corev1.HostPathDirectory {
			t.Errorf("volume %s: type %v, want Directory", v.Name, v.HostPath.Type)
		}
		// Every other hostPath is read-only too, but for the checkpoint's.
		cpDir := filepath.Dir(flag(c.Args, "checkpoint.file", defaultCheckpoint))
		for _, m := range c.VolumeMounts {
			if v := volume(t, ds, m.Name); v.HostPath != nil && !m.ReadOnly && m.MountPath != cpDir {
				t.Errorf("hostPath %s mounted writable at %s", v.HostPath.Path, m.MountPath)
			}
		}
	})

	t.Run("config paths lie under the log mount", func(t *testing.T) {
		cfg := configFromMap(t, b.configMap)
		for _, s := range cfg.Sources {
			for _, p := range s.Paths {
				m, ok := mountOf(c, p)
				if !ok || volume(t, ds, m.Name).HostPath == nil {
					t.Errorf("source %s path %s: not under a hostPath mount", s.Name, p)
				}
			}
		}
	})

	t.Run("checkpoint on a writable hostPath", func(t *testing.T) {
		cp := flag(c.Args, "checkpoint.file", defaultCheckpoint)
		if cp == "" {
			t.Fatal("--checkpoint.file is empty: positions are not kept")
		}
		m, ok := mountOf(c, cp)
		if !ok {
			t.Fatalf("no mount holds the checkpoint %s: it would be lost with the container", cp)
		}
		if m.ReadOnly || m.MountPath != filepath.Dir(cp) {
			t.Errorf("checkpoint %s: mount %+v, want its folder mounted writable", cp, m)
		}
		v := volume(t, ds, m.Name)
		if v.HostPath == nil || v.HostPath.Type == nil || *v.HostPath.Type != corev1.HostPathDirectoryOrCreate {
			t.Fatalf("volume %s: want a hostPath of type DirectoryOrCreate, got %+v", v.Name, v.VolumeSource)
		}
		// The kubelet creates it root:root 0755: an init container must
		// give it to the exporter's user, or no checkpoint is ever written.
		owner := strconv.Itoa(nonroot) + ":" + strconv.Itoa(nonroot)
		handed := false
		for _, ic := range spec.InitContainers {
			im, ok := mountOf(&ic, m.MountPath)
			if ok && im.Name == m.Name && im.MountPath == m.MountPath && !im.ReadOnly &&
				slices.Equal(ic.Command, []string{"chown", owner, m.MountPath}) {
				handed = true
			}
		}
		if !handed {
			t.Errorf("no init container runs chown %s %s on volume %s", owner, m.MountPath, m.Name)
		}
	})

	t.Run("config file from the ConfigMap", func(t *testing.T) {
		cf := flag(c.Args, "config.file", "")
		if cf == "" {
			t.Fatal("no --config.file")
		}
		m, ok := mountOf(c, cf)
		if !ok || !m.ReadOnly || m.MountPath != filepath.Dir(cf) {
			t.Fatalf("--config.file %s: mount %+v", cf, m)
		}
		v := volume(t, ds, m.Name)
		if v.ConfigMap == nil || v.ConfigMap.Name != b.configMap.Name {
			t.Fatalf("volume %s is not the ConfigMap %s", v.Name, b.configMap.Name)
		}
		if _, ok := b.configMap.Data[filepath.Base(cf)]; !ok {
			t.Errorf("ConfigMap %s has no key %s", b.configMap.Name, filepath.Base(cf))
		}
	})

	t.Run("probes on the port the exporter listens on", func(t *testing.T) {
		port := listenPort(t, c)
		for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
			want := map[string]string{"liveness": "/-/healthy", "readiness": "/-/ready"}[name]
			if p == nil || p.HTTPGet == nil {
				t.Errorf("no %s httpGet probe", name)
				continue
			}
			if p.HTTPGet.Path != want {
				t.Errorf("%s probe path %s, want %s", name, p.HTTPGet.Path, want)
			}
			if got := namedPort(t, c, p.HTTPGet.Port); got != port {
				t.Errorf("%s probe port %v (%d), the exporter listens on %d", name, p.HTTPGet.Port.String(), got, port)
			}
		}
	})

	t.Run("resources from the measured figures", func(t *testing.T) {
		peak := readmePeakRSS(t)
		for _, ct := range append(slices.Clone(spec.InitContainers), spec.Containers...) {
			r := ct.Resources
			for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				req, okReq := r.Requests[res]
				lim, okLim := r.Limits[res]
				if !okReq || !okLim {
					t.Errorf("%s: %s request or limit missing", ct.Name, res)
					continue
				}
				if req.Cmp(lim) > 0 {
					t.Errorf("%s: %s request %s above its limit %s", ct.Name, res, req.String(), lim.String())
				}
			}
		}
		memReq, memLim := c.Resources.Requests[corev1.ResourceMemory], c.Resources.Limits[corev1.ResourceMemory]
		if memReq.Value() < peak {
			t.Errorf("memory request %s is below the measured peak RSS (%d bytes)", memReq.String(), peak)
		}
		if memLim.Value() < 2*peak {
			t.Errorf("memory limit %s is below twice the measured peak RSS (%d bytes)", memLim.String(), peak)
		}
		found := false
		for _, e := range c.Env {
			if e.Name == "GOMEMLIMIT" {
				found = e.ValueFrom != nil && e.ValueFrom.ResourceFieldRef != nil &&
					e.ValueFrom.ResourceFieldRef.Resource == "limits.memory" &&
					(e.ValueFrom.ResourceFieldRef.Divisor.IsZero() || e.ValueFrom.ResourceFieldRef.Divisor.Cmp(resource.MustParse("1")) == 0)
			}
		}
		if !found {
			t.Error("GOMEMLIMIT should come from limits.memory in bytes (divisor 1)")
		}
	})

	t.Run("grace period covers the drain", func(t *testing.T) {
		g := spec.TerminationGracePeriodSeconds
		if g == nil || time.Duration(*g)*time.Second < 2*drainBound {
			t.Errorf("terminationGracePeriodSeconds %v: want at least %s (the %s drain, then the checkpoint)", g, 2*drainBound, drainBound)
		}
	})

	t.Run("images pinned", func(t *testing.T) {
		for _, ct := range append(slices.Clone(spec.InitContainers), spec.Containers...) {
			name, tag, ok := strings.Cut(ct.Image[strings.LastIndex(ct.Image, "/")+1:], ":")
			if !ok || tag == "" || tag == "latest" {
				t.Errorf("%s: image %s has no tag other than latest (%s)", ct.Name, ct.Image, name)
			}
		}
	})
}

func TestServiceAndPodMonitor(t *testing.T) {
	b := loadBase(t)
	c := b.exporter(t)
	tmpl := labels.Set(b.ds.Spec.Template.Labels)
	telemetry := flag(c.Args, "web.telemetry-path", defaultTelemetry)

	t.Run("headless service on the metrics port", func(t *testing.T) {
		s := b.service.Spec
		if s.ClusterIP != corev1.ClusterIPNone {
			t.Errorf("clusterIP %q, want None", s.ClusterIP)
		}
		if len(s.Selector) == 0 || !labels.SelectorFromSet(s.Selector).Matches(tmpl) {
			t.Errorf("selector %v does not select the pods %v", s.Selector, tmpl)
		}
		if len(s.Ports) != 1 || s.Ports[0].Name != "metrics" {
			t.Fatalf("ports %+v: want one named metrics", s.Ports)
		}
		if got, want := namedPort(t, c, s.Ports[0].TargetPort), listenPort(t, c); got != want || s.Ports[0].Port != want {
			t.Errorf("port %d -> %v (%d), the exporter listens on %d", s.Ports[0].Port, s.Ports[0].TargetPort.String(), got, want)
		}
	})

	t.Run("podmonitor: job httpstatus-exporter", func(t *testing.T) {
		pm := b.monitor.Spec
		// With jobLabel the job is that pod label's value; without it, or
		// without the label on the pods, namespace/name of the PodMonitor.
		if got := tmpl[pm.JobLabel]; pm.JobLabel == "" || got != wantJob {
			t.Errorf("jobLabel %q gives job %q, want %q", pm.JobLabel, got, wantJob)
		}
		for _, e := range pm.PodMetricsEndpoints {
			for _, r := range e.RelabelConfigs {
				if r.TargetLabel == "job" {
					t.Errorf("a relabeling sets job as well: %+v", r)
				}
			}
		}
	})

	t.Run("podmonitor selects the exporter's pods and port", func(t *testing.T) {
		pm := b.monitor.Spec
		sel, err := metav1.LabelSelectorAsSelector(&pm.Selector)
		if err != nil {
			t.Fatal(err)
		}
		if sel.Empty() || !sel.Matches(tmpl) {
			t.Errorf("selector %v does not select the pods %v", sel, tmpl)
		}
		if ns := pm.NamespaceSelector; !ns.Any && len(ns.MatchNames) > 0 && !slices.Contains(ns.MatchNames, b.ds.Namespace) {
			t.Errorf("namespaceSelector %+v leaves out %s", ns, b.ds.Namespace)
		}
		if len(pm.PodMetricsEndpoints) != 1 {
			t.Fatalf("%d podMetricsEndpoints, want 1", len(pm.PodMetricsEndpoints))
		}
		e := pm.PodMetricsEndpoints[0]
		if e.Port == nil || namedPort(t, c, intstr.FromString(*e.Port)) != listenPort(t, c) {
			t.Errorf("endpoint port %v is not the exporter's", e.Port)
		}
		if e.Path != telemetry {
			t.Errorf("endpoint path %q, the exporter serves %q", e.Path, telemetry)
		}
		if !e.HonorLabels {
			t.Error("honorLabels false: the exporter's namespace and container labels would become exported_namespace, exported_container")
		}
	})
}
