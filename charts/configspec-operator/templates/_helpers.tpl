{{/* Namespaced objects carry fixed names (one operator per namespace); cluster-scoped ones add the namespace,
so several installs (each watching its own namespace) can live in one cluster. */}}
{{- define "configspec.name" -}}configspec-operator{{- end -}}
{{- define "configspec.clusterName" -}}configspec-operator-{{ .Release.Namespace }}{{- end -}}

{{- define "configspec.selectorLabels" -}}
app.kubernetes.io/name: {{ include "configspec.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "configspec.labels" -}}
{{ include "configspec.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "configspec.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
