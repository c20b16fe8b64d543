{{/* The name of every object of a release: the release name, or release-chart when they differ. */}}
{{- define "spillway.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "spillway.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "spillway.labels" -}}
{{ include "spillway.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "spillway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "spillway.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
The gateway configuration: values.config with the keys the chart owns set from the other values
(the chart's win, so the container port, the probes and the grace period always agree with it).
*/}}
{{- define "spillway.config" -}}
{{- $config := deepCopy .Values.config -}}
{{- $server := dict "host" "0.0.0.0" "port" (int .Values.service.port) "shutdown_grace_ms" (mul (int .Values.shutdown.graceSeconds) 1000) "admin_key" "${SPILLWAY_ADMIN_KEY:-}" -}}
{{- $_ := set $config "server" (mergeOverwrite (default (dict) (get $config "server")) $server) -}}
{{- $telemetry := dict "metrics_port" (int .Values.metrics.port) -}}
{{- if .Values.metrics.tokenSecret -}}
{{- $_ := set $telemetry "metrics_token" "${SPILLWAY_METRICS_TOKEN}" -}}
{{- end -}}
{{- $_ := set $config "telemetry" (mergeOverwrite (default (dict) (get $config "telemetry")) $telemetry) -}}
{{- if .Values.redis.enabled -}}
{{- $_ := set $config "state" (mergeOverwrite (default (dict) (get $config "state")) (dict "redis_url" "${SPILLWAY_REDIS_URL}")) -}}
{{- end -}}
{{- if .Values.postgresql.enabled -}}
{{- $_ := set $config "database" (dict "url" "${SPILLWAY_DATABASE_URL}") -}}
{{- end -}}
{{- toYaml $config -}}
{{- end -}}

{{/* An environment variable from `url` or from a key of an existing Secret (the Secret wins). */}}
{{- define "spillway.urlEnv" -}}
- name: {{ .name }}
{{- if .values.existingSecret }}
  valueFrom:
    secretKeyRef:
      name: {{ .values.existingSecret }}
      key: {{ .values.key }}
{{- else }}
  value: {{ required (printf "%s: set url or existingSecret" .what) .values.url | quote }}
{{- end }}
{{- end -}}
