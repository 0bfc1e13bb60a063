{{/*
The sidecar's container, a list item for a pod's containers (the chart's own pod, or another chart's):

  containers:
    {{- include "smtp-sidecar.container" (index .Subcharts "smtp-sidecar") | nindent -4 }}

Called with this chart's context (its .Values, .Chart and .Release): from a chart that has smtp-sidecar as a
dependency, `index .Subcharts "smtp-sidecar"`. Its volumes are "smtp-sidecar.volumes"; the configuration
ConfigMap it mounts is the one this chart renders (with standalone: false, the only other object it renders).
*/}}
{{- define "smtp-sidecar.container" -}}
{{- $metricsPort := include "smtp-sidecar.metricsPort" . }}
{{- $listeners := include "smtp-sidecar.listeners" . | fromYamlArray }}
{{- $tlsSecret := .Values.sidecar.tls.secretName -}}
- name: sidecar
  image: {{ include "smtp-sidecar.image" (dict "image" .Values.image "defaultTag" .Chart.AppVersion) }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  args: ["--config", "/etc/smtp-sidecar/sidecar.yaml"]
  ports:
    {{- range $listeners }}
    - name: {{ .portName }}
      containerPort: {{ .port }}
      protocol: TCP
    {{- end }}
    - name: metrics
      containerPort: {{ $metricsPort }}
      protocol: TCP
  {{- with .Values.sidecar.env }}
  env:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.sidecar.startupProbe }}
  startupProbe:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.sidecar.livenessProbe }}
  livenessProbe:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.sidecar.readinessProbe }}
  readinessProbe:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.sidecar.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.sidecar.securityContext }}
  securityContext:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  volumeMounts:
    - name: sidecar-config
      mountPath: /etc/smtp-sidecar
      readOnly: true
    - name: sidecar-tmp
      mountPath: /tmp
    {{- if $tlsSecret }}
    {{- /* a directory, not subPath: a renewed certificate (cert-manager) shows up in place */}}
    - name: sidecar-tls
      mountPath: {{ .Values.sidecar.tls.mountPath }}
      readOnly: true
    {{- end }}
    {{- with .Values.sidecar.extraVolumeMounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}

{{/*
The volumes of "smtp-sidecar.container", list items for the pod's volumes (same context):

  volumes:
    {{- include "smtp-sidecar.volumes" (index .Subcharts "smtp-sidecar") | nindent -4 }}
*/}}
{{- define "smtp-sidecar.volumes" -}}
{{- $fullname := include "smtp-sidecar.fullname" . }}
{{- $tlsSecret := .Values.sidecar.tls.secretName -}}
- name: sidecar-config
  configMap:
    name: {{ $fullname }}
- name: sidecar-tmp
  emptyDir:
    sizeLimit: {{ .Values.sidecar.tmpSizeLimit }}
{{- with $tlsSecret }}
- name: sidecar-tls
  secret:
    secretName: {{ . }}
{{- end }}
{{- end }}

{{/*
The MTA's container: in containers, with the preStop hook that waits for the sidecar's drain; or, with
mta.nativeSidecar, an init container with restartPolicy Always (a Kubernetes sidecar container), which starts
before the sidecar and is stopped only after it, so no hook is needed.
*/}}
{{- define "smtp-sidecar.mtaContainer" -}}
{{- $metricsPort := include "smtp-sidecar.metricsPort" . }}
{{- $tlsSecret := .Values.sidecar.tls.secretName }}
{{- $mta := .Values.mta }}
{{- if and $mta.nativeSidecar (semverCompare "<1.29.0-0" .Capabilities.KubeVersion.Version) }}
{{- fail (printf "mta.nativeSidecar needs Kubernetes 1.29 or later (sidecar containers; stable since 1.33), this is %s" .Capabilities.KubeVersion.Version) }}
{{- end -}}
- name: {{ $mta.name }}
  image: {{ include "smtp-sidecar.image" (dict "image" $mta.image "defaultTag" "latest") }}
  imagePullPolicy: {{ $mta.image.pullPolicy }}
  {{- if $mta.nativeSidecar }}
  {{- /* a sidecar container: started before the containers, stopped after they have exited */}}
  restartPolicy: Always
  {{- end }}
  {{- with $mta.command }}
  command:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $mta.args }}
  args:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $mta.env }}
  env:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $mta.envFrom }}
  envFrom:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $mta.ports }}
  ports:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- if $mta.lifecycle }}
  lifecycle:
    {{- toYaml $mta.lifecycle | nindent 4 }}
  {{- else if and $mta.waitForSidecarDrain (not $mta.nativeSidecar) }}
  lifecycle:
    preStop:
      exec:
        command:
          - bash
          - -c
          - for i in $(seq 1 {{ max 1 (sub (int .Values.terminationGracePeriodSeconds) 2) }}); do (exec 3<>/dev/tcp/127.0.0.1/{{ $metricsPort }}) 2>/dev/null || exit 0; sleep 1; done
  {{- end }}
  {{- with $mta.startupProbe }}
  startupProbe:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $mta.livenessProbe }}
  livenessProbe:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $mta.readinessProbe }}
  readinessProbe:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $mta.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $mta.securityContext }}
  securityContext:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- $mtaTls := and $tlsSecret $mta.tlsMountPath }}
  {{- if or $mta.configFiles $mta.volumeMounts $mtaTls }}
  volumeMounts:
    {{- range $file, $_ := $mta.configFiles }}
    - name: mta-config
      mountPath: {{ printf "%s/%s" (trimSuffix "/" $mta.configMountPath) $file }}
      subPath: {{ $file }}
      readOnly: true
    {{- end }}
    {{- if $mtaTls }}
    - name: sidecar-tls
      mountPath: {{ $mta.tlsMountPath }}
      readOnly: true
    {{- end }}
    {{- with $mta.volumeMounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- end }}
{{- end }}
