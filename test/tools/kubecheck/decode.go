// The strict-decode command: decodes each object into its Go API type the way the API server
// decodes a request in strict field validation (kubectl apply's default): unknown or
// duplicate fields, wrong types and malformed quantities are errors. It is a schema check
// for the kinds Logward ships; others (cert-manager's) are reported as unknown.
//
// Input on stdin: a JSON array of objects. Output: one result per object, in order:
//
//	[{"object": "Deployment logward-webhook", "known": true, "errors": ["..."]}...]
package main

import (
	"encoding/json"
	"fmt"
	"os"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	sigsjson "sigs.k8s.io/json"
)

type decodeResult struct {
	Object string   `json:"object"`
	Known  bool     `json:"known"`
	Errors []string `json:"errors"`
}

func strictDecode() error {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		admissionregistrationv1.AddToScheme,
		appsv1.AddToScheme,
		batchv1.AddToScheme,
		corev1.AddToScheme,
		networkingv1.AddToScheme,
		policyv1.AddToScheme,
		rbacv1.AddToScheme,
	} {
		utilruntime.Must(add(scheme))
	}

	var objects []json.RawMessage
	if err := json.NewDecoder(os.Stdin).Decode(&objects); err != nil {
		return fmt.Errorf("failed to decode input: %w", err)
	}
	results := make([]decodeResult, 0, len(objects))
	for _, raw := range objects {
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(raw, &meta); err != nil {
			return fmt.Errorf("failed to read an object's kind: %w", err)
		}
		result := decodeResult{Object: meta.Kind + " " + meta.Metadata.Name, Errors: []string{}}
		gv, err := schema.ParseGroupVersion(meta.APIVersion)
		if err != nil {
			result.Errors = append(result.Errors, err.Error())
			results = append(results, result)
			continue
		}
		typed, err := scheme.New(gv.WithKind(meta.Kind))
		if err != nil {
			results = append(results, result) // not a kind we know: neither valid nor invalid
			continue
		}
		result.Known = true
		// Case-sensitive like the API server; strict errors are unknown and duplicate fields.
		strict, err := sigsjson.UnmarshalStrict(raw, typed)
		if err != nil {
			result.Errors = append(result.Errors, err.Error())
		}
		for _, e := range strict {
			result.Errors = append(result.Errors, e.Error())
		}
		results = append(results, result)
	}
	return json.NewEncoder(os.Stdout).Encode(results)
}
