package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/httpstatus-exporter/httpstatus-exporter/classify"
	"github.com/httpstatus-exporter/httpstatus-exporter/exporter"
	"github.com/httpstatus-exporter/httpstatus-exporter/logformat"
)

// configFile is the YAML of --config.file: several sources, each with its
// own files, format, status table and labels.
//
//	sources:
//	  - name: ingress
//	    paths: [/var/log/pods/ingress-nginx_*/controller/*.log]
//	    format: cri+ingress_nginx
//	    table: /etc/httpstatus/tables/api.yaml
//	    labels:
//	      method: true
//	      upstream_category: true
//	      namespace: true
//	      container: true
//	      static: {cluster: prod-eu}
//	    duration_histogram: true
type configFile struct {
	Sources []sourceConfig `yaml:"sources"`
}

type sourceConfig struct {
	Name              string       `yaml:"name"`
	Paths             []string     `yaml:"paths"`
	Format            string       `yaml:"format"`
	Table             string       `yaml:"table"`
	Labels            labelsConfig `yaml:"labels"`
	DurationHistogram bool         `yaml:"duration_histogram"`
}

type labelsConfig struct {
	Method           bool              `yaml:"method"`
	UpstreamCategory bool              `yaml:"upstream_category"`
	Namespace        bool              `yaml:"namespace"`
	Container        bool              `yaml:"container"`
	Static           map[string]string `yaml:"static"`
}

// source is one resolved source, from the flags or the config file.
type source struct {
	Name              string
	Paths             []string
	Format            string
	TablePath         string // "" for the run-wide table
	Table             *classify.Table
	Labels            exporter.Labels
	DurationHistogram bool
}

var sourceNameRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)

// loadConfig reads and validates a config file. Unknown keys are errors that
// name the line and the key (yaml.v3's strict decoding).
func loadConfig(path string, defaultTable *classify.Table) ([]source, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var cf configFile
	if err := dec.Decode(&cf); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("config file %s: empty", path)
		}
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	if len(cf.Sources) == 0 {
		return nil, fmt.Errorf("config file %s: no sources", path)
	}
	var out []source
	for i, sc := range cf.Sources {
		where := fmt.Sprintf("config file %s: source %d (%q)", path, i+1, sc.Name)
		s := source{
			Name: sc.Name, Paths: sc.Paths, Format: sc.Format, TablePath: sc.Table,
			Labels: exporter.Labels{
				Method: sc.Labels.Method, UpstreamCategory: sc.Labels.UpstreamCategory,
				Namespace: sc.Labels.Namespace, Container: sc.Labels.Container, Static: sc.Labels.Static,
			},
			DurationHistogram: sc.DurationHistogram,
		}
		if s.Format == "" {
			s.Format = "auto"
		}
		if len(s.Paths) == 0 {
			return nil, fmt.Errorf("%s: no paths", where)
		}
		s.Table = defaultTable
		if s.TablePath != "" {
			p := s.TablePath
			if !filepath.IsAbs(p) {
				p = filepath.Join(filepath.Dir(path), p) // relative to the config file
			}
			t, err := classify.LoadFile(p)
			if err != nil {
				return nil, fmt.Errorf("%s: table: %w", where, err)
			}
			s.Table, s.TablePath = t, p
		}
		if err := s.validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		out = append(out, s)
	}
	return out, nil
}

func (s *source) validate() error {
	if !sourceNameRE.MatchString(s.Name) {
		return fmt.Errorf("name %q: want 1-64 letters, digits, '_', '.', ':' or '-'", s.Name)
	}
	if _, err := logformat.New(s.Format); err != nil {
		return fmt.Errorf("format: %w", err)
	}
	for _, g := range s.Paths {
		if _, err := filepath.Match(g, ""); err != nil {
			return fmt.Errorf("path %q: %w", g, err)
		}
	}
	return s.Labels.Validate()
}

// checkUnique refuses two sources of one name: their series would mix.
func checkUnique(sources []source) error {
	var names []string
	for _, s := range sources {
		if slices.Contains(names, s.Name) {
			return fmt.Errorf("source %q is defined twice", s.Name)
		}
		names = append(names, s.Name)
	}
	return nil
}
