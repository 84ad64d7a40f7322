// Command promql-names parses PromQL with Prometheus' own parser (the version of Debian's
// prometheus package) and prints, for each expression, the metric names it selects.
//
// Input on stdin: a JSON list of expressions. Output: a JSON list of
// {"expr": "...", "metrics": ["..."], "error": "..."} in the same order. Grafana's template
// variables ($namespace, $__rate_interval...) must be substituted by the caller.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

type result struct {
	Expr    string   `json:"expr"`
	Metrics []string `json:"metrics"`
	Error   string   `json:"error,omitempty"`
}

func names(expr string) result {
	out := result{Expr: expr, Metrics: []string{}}
	node, err := parser.ParseExpr(expr)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	seen := map[string]bool{}
	parser.Inspect(node, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := vs.Name
		for _, m := range vs.LabelMatchers {
			if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
				name = m.Value
			}
		}
		if name == "" {
			out.Error = fmt.Sprintf("a selector without a metric name: %s", vs.String())
		}
		seen[name] = true
		return nil
	})
	for n := range seen {
		out.Metrics = append(out.Metrics, n)
	}
	sort.Strings(out.Metrics)
	return out
}

func main() {
	var exprs []string
	if err := json.NewDecoder(os.Stdin).Decode(&exprs); err != nil {
		fmt.Fprintln(os.Stderr, "promql-names:", err)
		os.Exit(2)
	}
	results := make([]result, 0, len(exprs))
	for _, e := range exprs {
		results = append(results, names(e))
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		os.Exit(2)
	}
}
