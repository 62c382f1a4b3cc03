package deploytest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// The project's contract: the scrape job's name, which the shipped rules and
// dashboard select.
const wantJob = "httpstatus-exporter"

var (
	root        string // the exporter's repository
	exporterBin string // built from root/cmd/exporter by TestMain
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	var err error
	root, err = filepath.Abs("../..")
	if err == nil {
		var mod []byte
		mod, err = os.ReadFile(filepath.Join(root, "go.mod"))
		if err == nil && !bytes.Contains(mod, []byte("module github.com/httpstatus-exporter/httpstatus-exporter\n")) {
			err = fmt.Errorf("%s/go.mod is not the exporter's module", root)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "deploytest: the repository root:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "deploytest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "deploytest:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	exporterBin = filepath.Join(dir, "exporter")
	build := exec.Command("go", "build", "-o", exporterBin, "./cmd/exporter")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "deploytest: go build ./cmd/exporter: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// path is a file of the repository.
func path(rel ...string) string { return filepath.Join(append([]string{root}, rel...)...) }

func readFile(t *testing.T, rel ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(path(rel...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ci: under CI=true a test that needs a tool fails rather than skips.
func ci() bool { return os.Getenv("CI") == "true" }

// needTool returns the path of a command, or ends the test: a failure under
// CI=true, a skip otherwise.
func needTool(t *testing.T, name, why string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if ci() {
		t.Fatalf("%s is needed (%s) and CI=true: %v", name, why, err)
	}
	t.Skipf("%s not found (%s): skipped; under CI=true this fails", name, why)
	return ""
}

// freePort returns a TCP port on 127.0.0.1 that nothing listened on a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitFor polls cond until it holds or the deadline passes; cond says what
// it saw, for the failure message.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, seen := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s still waiting for %s; last seen: %s", timeout, what, seen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readmePeakRSS is the README's measured peak RSS of `exporter run` catching
// up on a large backlog, in bytes: the resources are judged against it.
func readmePeakRSS(t *testing.T) int64 {
	t.Helper()
	m := regexp.MustCompile(`peak RSS ([0-9.]+) MiB`).FindSubmatch(readFile(t, "README.md"))
	if m == nil {
		t.Fatal("README.md: no measured `peak RSS N MiB` figure to judge the memory resources by")
	}
	mib, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return int64(mib * (1 << 20))
}
