// The match-conditions command: evaluates the matchConditions of admission webhook
// configurations with kube-apiserver's own code (k8s.io/apiserver's webhook accessors, CEL
// environment and matcher), so the deploy tests can check which objects a webhook is called
// for without running an API server.
//
// Input on stdin (JSON):
//
//	{"configurations": [<MutatingWebhookConfiguration or ValidatingWebhookConfiguration>...],
//	 "cases": [{"webhook": "pods.logward.io", "operation": "CREATE",
//	            "object": {...}, "oldObject": {...}}...]}
//
// Output on stdout: one result per case, in order:
//
//	[{"matches": true|false, "failedCondition": "name", "error": "..."}...]
//
// Every webhook is evaluated as if its failurePolicy were Fail: with Ignore the API server
// silently skips a webhook whose expression errors, which a test would mistake for "not
// called". Here an erroring expression is reported as an error.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/webhook"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizerfactory"
	"k8s.io/apiserver/pkg/cel/environment"
)

type input struct {
	Configurations []json.RawMessage `json:"configurations"`
	Cases          []testCase        `json:"cases"`
}

type testCase struct {
	Webhook   string                 `json:"webhook"`
	Operation string                 `json:"operation"`
	Object    map[string]interface{} `json:"object"`
	OldObject map[string]interface{} `json:"oldObject"`
}

type result struct {
	Matches         bool   `json:"matches"`
	FailedCondition string `json:"failedCondition,omitempty"`
	Error           string `json:"error,omitempty"`
}

func matchConditions() error {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		return fmt.Errorf("failed to decode input: %w", err)
	}
	accessors, err := webhooks(in.Configurations)
	if err != nil {
		return err
	}
	// The same compiler the API server's webhook dispatcher builds (generic/webhook.go).
	compiler := cel.NewConditionCompiler(environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()))
	results := make([]result, 0, len(in.Cases))
	for i, c := range in.Cases {
		accessor, ok := accessors[c.Webhook]
		if !ok {
			return fmt.Errorf("case %d: no webhook named %q", i, c.Webhook)
		}
		attributes, err := versionedAttributes(c)
		if err != nil {
			return fmt.Errorf("case %d: %w", i, err)
		}
		match := accessor.GetCompiledMatcher(compiler).Match(
			context.Background(), attributes, nil, authorizerfactory.NewAlwaysAllowAuthorizer())
		r := result{Matches: match.Matches, FailedCondition: match.FailedConditionName}
		if match.Error != nil {
			r.Error = match.Error.Error()
		}
		results = append(results, r)
	}
	return json.NewEncoder(os.Stdout).Encode(results)
}

// webhooks indexes every webhook of the configurations by name, failurePolicy forced to Fail.
func webhooks(configurations []json.RawMessage) (map[string]webhook.WebhookAccessor, error) {
	fail := admissionregistrationv1.Fail
	accessors := map[string]webhook.WebhookAccessor{}
	for _, raw := range configurations {
		var meta struct{ Kind string }
		if err := json.Unmarshal(raw, &meta); err != nil {
			return nil, fmt.Errorf("failed to decode a configuration: %w", err)
		}
		switch meta.Kind {
		case "MutatingWebhookConfiguration":
			var config admissionregistrationv1.MutatingWebhookConfiguration
			if err := json.Unmarshal(raw, &config); err != nil {
				return nil, fmt.Errorf("failed to decode %s: %w", meta.Kind, err)
			}
			for i := range config.Webhooks {
				hook := config.Webhooks[i]
				hook.FailurePolicy = &fail
				accessors[hook.Name] = webhook.NewMutatingWebhookAccessor(hook.Name, config.Name, &hook)
			}
		case "ValidatingWebhookConfiguration":
			var config admissionregistrationv1.ValidatingWebhookConfiguration
			if err := json.Unmarshal(raw, &config); err != nil {
				return nil, fmt.Errorf("failed to decode %s: %w", meta.Kind, err)
			}
			for i := range config.Webhooks {
				hook := config.Webhooks[i]
				hook.FailurePolicy = &fail
				accessors[hook.Name] = webhook.NewValidatingWebhookAccessor(hook.Name, config.Name, &hook)
			}
		default:
			return nil, fmt.Errorf("kind %q is not a webhook configuration", meta.Kind)
		}
	}
	return accessors, nil
}

// versionedAttributes builds what the API server hands its webhook dispatcher for a request.
func versionedAttributes(c testCase) (*admission.VersionedAttributes, error) {
	if c.Object == nil {
		return nil, fmt.Errorf("object is required")
	}
	object := &unstructured.Unstructured{Object: c.Object}
	var oldObject runtime.Object
	if c.OldObject != nil {
		oldObject = &unstructured.Unstructured{Object: c.OldObject}
	}
	gvk := object.GroupVersionKind()
	if gvk.Kind == "" || gvk.Version == "" {
		return nil, fmt.Errorf("object needs apiVersion and kind")
	}
	// Every kind Logward's webhooks see pluralises regularly.
	gvr := schema.GroupVersionResource{Group: gvk.Group, Version: gvk.Version, Resource: strings.ToLower(gvk.Kind) + "s"}
	operation := admission.Operation(c.Operation)
	if operation == "" {
		operation = admission.Create
	}
	attributes := admission.NewAttributesRecord(object, oldObject, gvk, object.GetNamespace(), object.GetName(),
		gvr, "", operation, nil, false, &user.DefaultInfo{Name: "test"})
	return &admission.VersionedAttributes{
		Attributes:         attributes,
		VersionedKind:      gvk,
		VersionedObject:    admission.NewLazyObject(object),
		VersionedOldObject: admission.NewLazyObject(oldObject),
	}, nil
}
