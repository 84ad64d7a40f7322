// Command argocd-health evaluates Switchyard objects with Argo CD's own code: the argocd-cm
// snippet is parsed by Argo CD's settings manager, health comes from gitops-engine's
// GetResourceHealth with Argo CD's Lua overrides (util/lua, gopher-lua in Argo CD's sandbox),
// and drift from Argo CD's diff (util/argo/diff, the default client-side three-way diff).
//
// It reads one JSON request on stdin and writes one JSON reply on stdout:
//
//	{"argocdCm": "<argocd-cm.yaml>", "health": [{"name": "...", "object": {...}}],
//	 "diff": [{"name": "...", "desired": {...}, "live": {...}}]}
//	-> {"health": [{"name", "status", "message", "error"}], "diff": [{"name", "modified", "error"}]}
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/argoproj/gitops-engine/pkg/health"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/yaml"

	"github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1"
	argodiff "github.com/argoproj/argo-cd/v3/util/argo/diff"
	"github.com/argoproj/argo-cd/v3/util/argo/normalizers"
	"github.com/argoproj/argo-cd/v3/util/lua"
	"github.com/argoproj/argo-cd/v3/util/settings"
)

type healthCase struct {
	Name   string         `json:"name"`
	Object map[string]any `json:"object"`
}

type diffCase struct {
	Name    string         `json:"name"`
	Desired map[string]any `json:"desired"`
	Live    map[string]any `json:"live"`
}

type request struct {
	ArgocdCm string       `json:"argocdCm"`
	Health   []healthCase `json:"health"`
	Diff     []diffCase   `json:"diff"`
}

type healthResult struct {
	Name    string `json:"name"`
	Status  string `json:"status"`
	Message string `json:"message"`
	Error   string `json:"error,omitempty"`
}

type diffResult struct {
	Name     string `json:"name"`
	Modified bool   `json:"modified"`
	Live     string `json:"normalizedLive,omitempty"`
	Target   string `json:"predictedLive,omitempty"`
	Error    string `json:"error,omitempty"`
}

type reply struct {
	Health []healthResult `json:"health"`
	Diff   []diffResult   `json:"diff"`
}

// overrides parses argocd-cm exactly as an Argo CD controller does, through its settings manager.
func overrides(cmYAML string) (map[string]v1alpha1.ResourceOverride, error) {
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict([]byte(cmYAML), &cm); err != nil {
		return nil, fmt.Errorf("argocd-cm: %w", err)
	}
	client := fake.NewClientset(&cm)
	mgr := settings.NewSettingsManager(context.Background(), client, cm.Namespace)
	return mgr.GetResourceOverrides()
}

func evaluate(o map[string]v1alpha1.ResourceOverride, c healthCase) healthResult {
	out := healthResult{Name: c.Name}
	got, err := health.GetResourceHealth(&unstructured.Unstructured{Object: c.Object}, lua.ResourceHealthOverrides(o))
	switch {
	case err != nil:
		out.Error = err.Error()
	case got == nil:
		out.Error = "no health check matched"
	default:
		out.Status, out.Message = string(got.Status), got.Message
	}
	return out
}

func compare(o map[string]v1alpha1.ResourceOverride, c diffCase) diffResult {
	out := diffResult{Name: c.Name}
	config, err := argodiff.NewDiffConfigBuilder().
		WithDiffSettings([]v1alpha1.ResourceIgnoreDifferences{}, o, false, normalizers.IgnoreNormalizerOpts{}).
		WithTracking("app.kubernetes.io/instance", "annotation").
		WithNoCache().
		Build()
	if err != nil {
		out.Error = err.Error()
		return out
	}
	live := &unstructured.Unstructured{Object: c.Live}
	desired := &unstructured.Unstructured{Object: c.Desired}
	res, err := argodiff.StateDiff(live, desired, config)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	out.Modified = res.Modified
	if res.Modified {
		out.Live, out.Target = string(res.NormalizedLive), string(res.PredictedLive)
	}
	return out
}

func run(in io.Reader, out io.Writer) error {
	var req request
	if err := json.NewDecoder(in).Decode(&req); err != nil {
		return fmt.Errorf("request: %w", err)
	}
	o, err := overrides(req.ArgocdCm)
	if err != nil {
		return err
	}
	rep := reply{Health: []healthResult{}, Diff: []diffResult{}}
	for _, c := range req.Health {
		rep.Health = append(rep.Health, evaluate(o, c))
	}
	for _, c := range req.Diff {
		rep.Diff = append(rep.Diff, compare(o, c))
	}
	return json.NewEncoder(out).Encode(rep)
}

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "argocd-health:", err)
		os.Exit(2)
	}
}
