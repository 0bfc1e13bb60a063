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

{{/*
The sidecar's SMTP ports as the pod and the Services expose them, a YAML list for fromYamlArray: name, portName
(a Kubernetes port name has at most 15 characters), port (the container's), servicePort, nodePort (null: chosen
by Kubernetes) and tlsMode. The single-port form is one listener "smtp" on listen.port with service.port and
service.nodePort; with sidecar.config.listeners, one per listener with service.ports.<name> and
service.nodePorts.<name>. Fails on what Kubernetes or the pod would only refuse later.
*/}}
{{- define "smtp-sidecar.listeners" -}}
{{- $config := .Values.sidecar.config }}
{{- $service := .Values.service }}
{{- $topMode := dig "tls" "mode" "none" $config }}
{{- $out := list }}
{{- if $config.listeners }}
{{- $servicePorts := $service.ports | default dict }}
{{- $nodePorts := $service.nodePorts | default dict }}
{{- $byPortName := dict }}
{{- range $config.listeners }}
{{- $portName := trunc 15 .name }}
{{- if hasKey $byPortName $portName }}
{{- if eq (get $byPortName $portName) .name }}
{{- fail (printf "sidecar.config.listeners: the name %s is used twice" .name) }}
{{- end }}
{{- fail (printf "sidecar.config.listeners: %s and %s would both be the port %s (a Kubernetes port name has at most 15 characters): shorten one" (get $byPortName $portName) .name $portName) }}
{{- end }}
{{- if eq $portName "metrics" }}
{{- fail "sidecar.config.listeners: the name metrics belongs to the operations port" }}
{{- end }}
{{- $_ := set $byPortName $portName .name }}
{{- if not (hasKey $servicePorts .name) }}
{{- fail (printf "service.ports.%s: set the Service port of listener %s (e.g. 25, 587 or 465)" .name .name) }}
{{- end }}
{{- $out = append $out (dict "name" .name "portName" $portName "port" (int .port)
    "servicePort" (int (get $servicePorts .name)) "nodePort" (get $nodePorts .name | default nil)
    "tlsMode" (dig "tls" "mode" $topMode .)) }}
{{- end }}
{{- else }}
{{- if $service.nodePorts }}
{{- fail "service.nodePorts is for sidecar.config.listeners: the single-port form takes service.nodePort" }}
{{- end }}
{{- $out = append $out (dict "name" "smtp" "portName" "smtp" "port" (include "smtp-sidecar.smtpPort" . | int)
    "servicePort" (int $service.port) "nodePort" $service.nodePort "tlsMode" $topMode) }}
{{- end }}
{{- $names := list }}
{{- range $out }}
{{- $names = append $names .name }}
{{- end }}
{{- range $key, $_ := $service.nodePorts }}
{{- if not (has $key $names) }}
{{- fail (printf "service.nodePorts.%s: there is no listener %s (listeners: %s)" $key $key (join ", " $names)) }}
{{- end }}
{{- end }}
{{- range $key, $_ := .Values.networkPolicy.listenerFrom }}
{{- if not (has $key $names) }}
{{- fail (printf "networkPolicy.listenerFrom.%s: there is no listener %s (listeners: %s)" $key $key (join ", " $names)) }}
{{- end }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/*
Fails when a certificate or key of the sidecar's configuration is under sidecar.tls.mountPath while no Secret is
mounted there: the sidecar would only find out at start (terminate) or at reload.
*/}}
{{- define "smtp-sidecar.checkTlsFiles" -}}
{{- $config := .Values.sidecar.config }}
{{- $secret := .Values.sidecar.tls }}
{{- $dir := printf "%s/" (trimSuffix "/" $secret.mountPath) }}
{{- $sections := list (dict "where" "sidecar.config.tls" "tls" ($config.tls | default dict)) }}
{{- range $config.listeners }}
{{- $sections = append $sections (dict "where" (printf "listener %s: tls" .name) "tls" (.tls | default dict)) }}
{{- end }}
{{- range $section := $sections }}
{{- range $key := list "certificate" "key" }}
{{- $file := get $section.tls $key | default "" }}
{{- if and (hasPrefix $dir $file) (not $secret.secretName) }}
{{- fail (printf "%s.%s is %s, but sidecar.tls.secretName is empty: nothing is mounted at %s" $section.where $key $file $secret.mountPath) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{- define "smtp-sidecar.metricsPort" -}}
{{- dig "metrics" "port" 9100 .Values.sidecar.config | int }}
{{- end }}

{{/*
"true" when the monitoring.coreos.com/v1 objects may be rendered: the cluster serves that API (helm install and
upgrade ask it), or metrics.forceMonitoringApi says to render them anyway (helm template without a cluster).
*/}}
{{- define "smtp-sidecar.monitoringApi" -}}
{{- if or .Values.metrics.forceMonitoringApi (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1") -}}
true
{{- end }}
{{- end }}

{{/*
The PromQL label matchers of this installation's series (metrics.prometheusRule.selector, else its namespace).
*/}}
{{- define "smtp-sidecar.alertSelector" -}}
{{- .Values.metrics.prometheusRule.selector | default (printf "namespace=%q" .Release.Namespace) }}
{{- end }}
