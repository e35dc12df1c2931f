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
namespaceSelector:
  matchExpressions:
    - key: kubernetes.io/metadata.name
      operator: NotIn
      values: {{ include "logward.excludedNamespaces" . }}
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
