// The yaml-to-json command: reads a multi-document YAML stream on stdin and writes the JSON
// Kubernetes reads from each document, as a JSON array (empty documents as null), by the same
// code kubectl uses: apimachinery's document reader, then sigs.k8s.io/yaml (go-yaml v2, YAML
// 1.1). The tests of `logward inject` decode its input and its output with this and compare.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

func yamlToJSON() error {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(os.Stdin))
	documents := []json.RawMessage{}
	for {
		document, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("failed to read a document: %w", err)
		}
		converted, err := sigsyaml.YAMLToJSON(document)
		if err != nil {
			return fmt.Errorf("failed to convert document %d: %w", len(documents)+1, err)
		}
		documents = append(documents, converted)
	}
	return json.NewEncoder(os.Stdout).Encode(documents)
}
