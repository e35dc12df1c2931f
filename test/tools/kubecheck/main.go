// kubecheck answers questions about Kubernetes manifests with the API machinery's own code,
// for the deploy tests, which have no API server to ask:
//
//	kubecheck match-conditions   which objects each webhook is called for (see match.go)
//	kubecheck strict-decode      whether objects decode into their API types (see decode.go)
//	kubecheck yaml-to-json       what Kubernetes reads from a YAML stream (see yaml.go)
//	kubecheck prom-text          what Prometheus reads from a metrics exposition (see prom.go)
//
// All write JSON on stdout; the first two read JSON on stdin, yaml-to-json YAML, prom-text the
// Prometheus text format.
package main

import (
	"fmt"
	"os"
)

func main() {
	commands := map[string]func() error{
		"match-conditions": matchConditions,
		"strict-decode":    strictDecode,
		"yaml-to-json":     yamlToJSON,
		"prom-text":        promText,
	}
	if len(os.Args) != 2 || commands[os.Args[1]] == nil {
		fmt.Fprintln(os.Stderr, "usage: kubecheck match-conditions|strict-decode|yaml-to-json|prom-text < input")
		os.Exit(2)
	}
	if err := commands[os.Args[1]](); err != nil {
		fmt.Fprintf(os.Stderr, "kubecheck %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
