{{/*
Names are fixed, not derived from the release: the webhook configurations are cluster-scoped
and named `logward`, and the webhook's flags default to these names, so one Logward per cluster.
*/}}

{{- define "logward.labels" -}}
app.kubernetes.io/name: logward
app.kubernetes.io/part-of: logward
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "logward.webhookLabels" -}}
{{ include "logward.labels" . }}
app.kubernetes.io/component: webhook
{{- end -}}

{{/* The Deployment's selector: immutable, so release-independent and never extended. */}}
{{- define "logward.selectorLabels" -}}
app.kubernetes.io/name: logward
app.kubernetes.io/component: webhook
{{- end -}}

{{- define "logward.builtinTls" -}}
{{- if eq .Values.certificate.mode "builtin" -}}true{{- end -}}
{{- end -}}

{{/* Never mutated: the control plane's namespaces, our own, and the admin's list. */}}
{{- define "logward.excludedNamespaces" -}}
{{- $all := list "kube-system" "kube-node-lease" "kube-public" .Release.Namespace -}}
{{- range .Values.excludedNamespaces }}{{ if not (has . $all) }}{{ $all = append $all . }}{{ end }}{{ end -}}
{{- toJson $all -}}
{{- end -}}

{{/* The selectors and options both webhooks share. */}}
{{- define "logward.webhookCommon" -}}
admissionReviewVersions: ["v1"]
failurePolicy: {{ .Values.failurePolicy }}
sideEffects: None
timeoutSeconds: {{ .Values.timeoutSeconds }}
objectSelector:
  matchExpressions:
    - key: app.kubernetes.io/part-of
      operator: NotIn
      values: [logward]
{{- end -}}

{{- define "logward.certManagerAnnotations" -}}
{{- if eq .Values.certificate.mode "certManager" }}
annotations:
  cert-manager.io/inject-ca-from: {{ .Release.Namespace }}/logward-webhook-cert
{{- end }}
{{- end -}}

{{- /*
A webhook's namespaceSelector: never the excluded namespaces, and, by the argument, only
namespaces labelled logward.io/enabled=true ("In"), only the others ("NotIn") or any ("").
*/ -}}
{{- define "logward.namespaceSelector" -}}
{{- $root := index . 0 -}}
{{- $enabled := index . 1 -}}
namespaceSelector:
  matchExpressions:
    - key: kubernetes.io/metadata.name
      operator: NotIn
      values: {{ include "logward.excludedNamespaces" $root }}
    {{- if $enabled }}
    - key: logward.io/enabled
      operator: {{ $enabled }}
      values: ["true"]
    {{- end }}
{{- end -}}
