{{- define "configspec.name" -}}configspec-operator{{- end -}}
{{- define "configspec.labels" -}}
app.kubernetes.io/name: {{ include "configspec.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}
