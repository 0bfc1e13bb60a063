{{/*
Chart name, overridable with nameOverride.
*/}}
{{- define "smtp-sidecar.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name for resources: 63 characters at most (DNS label); the release name alone when it already contains the
chart name, so "helm install smtp-sidecar ." does not give "smtp-sidecar-smtp-sidecar".
*/}}
{{- define "smtp-sidecar.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version for the helm.sh/chart label ("+" is not allowed in label values).
*/}}
{{- define "smtp-sidecar.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every resource.
*/}}
{{- define "smtp-sidecar.labels" -}}
helm.sh/chart: {{ include "smtp-sidecar.chart" . }}
{{ include "smtp-sidecar.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Selector labels: only these two, because a Deployment's selector cannot change after creation.
*/}}
{{- define "smtp-sidecar.selectorLabels" -}}
app.kubernetes.io/name: {{ include "smtp-sidecar.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
ServiceAccount the pods run as.
*/}}
{{- define "smtp-sidecar.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "smtp-sidecar.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Image reference: [registry/]repository@digest, or [registry/]repository:tag with the tag defaulting to
appVersion. Call with (dict "image" .Values.image "defaultTag" .Chart.AppVersion).
*/}}
{{- define "smtp-sidecar.image" -}}
{{- $ref := .image.repository }}
{{- if .image.registry }}
{{- $ref = printf "%s/%s" (trimSuffix "/" .image.registry) $ref }}
{{- end }}
{{- if .image.digest }}
{{- printf "%s@%s" $ref .image.digest }}
{{- else }}
{{- printf "%s:%s" $ref (toString (default .defaultTag .image.tag)) }}
{{- end }}
{{- end }}

{{/*
The sidecar's ports, read from its configuration so that the containerPorts, the Service targets and the
MTA's preStop hook cannot disagree with what the sidecar listens on.
*/}}
{{- define "smtp-sidecar.smtpPort" -}}
{{- dig "listen" "port" 2525 .Values.sidecar.config | int }}
{{- end }}

{{- define "smtp-sidecar.metricsPort" -}}
{{- dig "metrics" "port" 9100 .Values.sidecar.config | int }}
{{- end }}
