{{/* Helpers of the monitoring, disruption and dashboard templates (issue 16). */}}

{{/* Namespaces that get router-side objects (metrics Service, PodDisruptionBudget), as JSON. */}}
{{- define "switchyard.routerNamespaces" -}}
{{- if .Values.routers.namespaces -}}
{{- toJson .Values.routers.namespaces -}}
{{- else if .Values.operator.allNamespaces -}}
{{- toJson list -}}
{{- else -}}
{{- toJson .Values.operator.namespaces -}}
{{- end -}}
{{- end -}}

{{/*
"true" when a prometheus-operator object is to be rendered: asked for (enabled), or
autodetect and the cluster serves its API (Argo CD and `helm template --api-versions` pass it).
Call with (dict "root" $ "cfg" .Values.serviceMonitor "kind" "ServiceMonitor").
*/}}
{{- define "switchyard.renderMonitoring" -}}
{{- $api := printf "monitoring.coreos.com/v1/%s" .kind -}}
{{- if or .cfg.enabled (and .cfg.autodetect (.root.Capabilities.APIVersions.Has $api)) -}}
true
{{- end -}}
{{- end -}}

{{- define "switchyard.routerLabels" -}}
app.kubernetes.io/name: switchyard-router
app.kubernetes.io/part-of: switchyard
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}
