{{/* Names */}}
{{- define "neo-bridge.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "neo-bridge.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "neo-bridge.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object. */}}
{{- define "neo-bridge.labels" -}}
helm.sh/chart: {{ include "neo-bridge.chart" . }}
app.kubernetes.io/name: {{ include "neo-bridge.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: neo-bridge
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selects the server pods only (never the helm test pod). */}}
{{- define "neo-bridge.selectorLabels" -}}
app.kubernetes.io/name: {{ include "neo-bridge.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end -}}

{{- define "neo-bridge.testSelectorLabels" -}}
app.kubernetes.io/name: {{ include "neo-bridge.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: test
{{- end -}}

{{- define "neo-bridge.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "neo-bridge.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name: name an existing ServiceAccount when serviceAccount.create=false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* An image reference from {repository, tag, digest}; never untagged, never latest. */}}
{{- define "neo-bridge.imageRef" -}}
{{- $tag := .tag | default .defaultTag | toString -}}
{{- if eq $tag "latest" -}}
{{- fail (printf "%s: the tag latest is not allowed; pin a version (or a digest)" .what) -}}
{{- end -}}
{{- if .digest -}}
{{- printf "%s:%s@%s" .repository $tag .digest -}}
{{- else -}}
{{- printf "%s:%s" .repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "neo-bridge.image" -}}
{{- include "neo-bridge.imageRef" (dict "repository" .Values.image.repository "tag" .Values.image.tag "digest" .Values.image.digest "defaultTag" .Chart.AppVersion "what" "image.tag") -}}
{{- end -}}

{{- define "neo-bridge.testImage" -}}
{{- include "neo-bridge.imageRef" (dict "repository" .Values.tests.image.repository "tag" .Values.tests.image.tag "digest" .Values.tests.image.digest "defaultTag" "" "what" "tests.image.tag") -}}
{{- end -}}

{{/*
Seconds in a Go/absl duration such as 25s, 1m30s, 500ms or 1.5h, as a
float. Fails on anything else, naming the value.
*/}}
{{- define "neo-bridge.durationSeconds" -}}
{{- $text := toString .value -}}
{{- $part := "[0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h)" -}}
{{- if not (regexMatch (printf "^(%s)+$" $part) $text) -}}
{{- fail (printf "%s: invalid duration %q; use a positive number with a unit, e.g. 25s, 500ms or 2m" .what $text) -}}
{{- end -}}
{{- $units := dict "ns" 0.000000001 "us" 0.000001 "ms" 0.001 "s" 1.0 "m" 60.0 "h" 3600.0 -}}
{{- $total := 0.0 -}}
{{- range $item := regexFindAll $part $text -1 -}}
{{- $number := regexFind "^[0-9]+(\\.[0-9]+)?" $item -}}
{{- $unit := trimPrefix $number $item -}}
{{- $total = addf $total (mulf (float64 $number) (get $units $unit)) -}}
{{- end -}}
{{- $total -}}
{{- end -}}

{{/*
terminationGracePeriodSeconds: the preStop sleep, then the whole shutdown
(--shutdown-timeout, which already contains the drain window), then a margin.
An explicit value must leave room for both.
*/}}
{{- define "neo-bridge.terminationGracePeriodSeconds" -}}
{{- $timeout := include "neo-bridge.durationSeconds" (dict "value" .Values.config.shutdownTimeout "what" "config.shutdownTimeout") | float64 -}}
{{- $needed := addf (ceil $timeout) .Values.lifecycle.preStopSleepSeconds -}}
{{- if kindIs "invalid" .Values.terminationGracePeriodSeconds -}}
{{- addf $needed .Values.terminationGraceMarginSeconds | int -}}
{{- else -}}
{{- if le (float64 .Values.terminationGracePeriodSeconds) $needed -}}
{{- fail (printf "terminationGracePeriodSeconds (%v) must be longer than lifecycle.preStopSleepSeconds + config.shutdownTimeout (%v s), or the kubelet kills the bridge before its shutdown ends; leave it null to compute it" .Values.terminationGracePeriodSeconds $needed) -}}
{{- end -}}
{{- .Values.terminationGracePeriodSeconds | int -}}
{{- end -}}
{{- end -}}

{{/* Port of the upstream, from config.upstreamUrl. */}}
{{- define "neo-bridge.upstreamPort" -}}
{{- $url := urlParse .Values.config.upstreamUrl -}}
{{- $hostPort := splitList ":" (get $url "host") -}}
{{- if gt (len $hostPort) 1 -}}
{{- last $hostPort -}}
{{- else if eq (get $url "scheme") "http" -}}
80
{{- else -}}
443
{{- end -}}
{{- end -}}

{{- define "neo-bridge.serviceTokenSecretName" -}}
{{- if .Values.serviceToken.existingSecret -}}
{{- .Values.serviceToken.existingSecret -}}
{{- else if .Values.serviceToken.value -}}
{{- printf "%s-service-token" (include "neo-bridge.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "neo-bridge.serviceTokenSecretKey" -}}
{{- if .Values.serviceToken.existingSecret -}}{{ .Values.serviceToken.existingSecretKey }}{{- else -}}token{{- end -}}
{{- end -}}

{{- define "neo-bridge.apiKeysSecretName" -}}
{{- if .Values.apiKeys.existingSecret -}}
{{- .Values.apiKeys.existingSecret -}}
{{- else if .Values.apiKeys.value -}}
{{- printf "%s-api-keys" (include "neo-bridge.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "neo-bridge.apiKeysSecretKey" -}}
{{- if .Values.apiKeys.existingSecret -}}{{ .Values.apiKeys.existingSecretKey }}{{- else -}}api-keys{{- end -}}
{{- end -}}

{{- define "neo-bridge.clientCaSecretName" -}}
{{- default .Values.tls.existingSecret .Values.tls.clientCa.existingSecret -}}
{{- end -}}

{{/* The gRPC Service port's appProtocol: h2c without TLS unless set. */}}
{{- define "neo-bridge.grpcAppProtocol" -}}
{{- if .Values.service.appProtocol -}}
{{- .Values.service.appProtocol -}}
{{- else if not .Values.tls.enabled -}}
kubernetes.io/h2c
{{- end -}}
{{- end -}}

{{/*
Checks across values that the schema cannot express; each message names
the values to change. Mirrors the bridge's own start-up checks, so a bad
combination fails at install time rather than in a crash-looping pod.
*/}}
{{- define "neo-bridge.validate" -}}
{{- $v := .Values -}}
{{- $policy := $v.serviceToken.policy -}}
{{- if and $v.serviceToken.existingSecret $v.serviceToken.value -}}
{{- fail "serviceToken: set existingSecret or value, not both (an existing Secret is preferred)" -}}
{{- end -}}
{{- if and $v.apiKeys.existingSecret $v.apiKeys.value -}}
{{- fail "apiKeys: set existingSecret or value, not both" -}}
{{- end -}}
{{- if and (ne $policy "disabled") (not (include "neo-bridge.serviceTokenSecretName" .)) -}}
{{- fail (printf "serviceToken.policy=%s hands out the service token, but there is none: set serviceToken.existingSecret (preferred) or --set-file serviceToken.value=PATH" $policy) -}}
{{- end -}}
{{- if and (eq $policy "mtls") (not $v.serviceToken.mtlsAllow) -}}
{{- fail "serviceToken.policy=mtls needs serviceToken.mtlsAllow: the client certificate identities allowed the service token" -}}
{{- end -}}
{{- if and $v.serviceToken.mtlsAllow (ne $policy "mtls") -}}
{{- fail (printf "serviceToken.mtlsAllow is set but serviceToken.policy=%s does not use it: set policy mtls or remove mtlsAllow" $policy) -}}
{{- end -}}
{{- if and (eq $policy "mtls") (or (not $v.tls.enabled) (eq $v.tls.clientAuth "none")) -}}
{{- fail "serviceToken.policy=mtls needs a listener that verifies client certificates: tls.enabled=true and tls.clientAuth=require (or request)" -}}
{{- end -}}
{{- $keys := include "neo-bridge.apiKeysSecretName" . -}}
{{- if and (eq $policy "api-keys") (not $keys) -}}
{{- fail "serviceToken.policy=api-keys needs the hashed keys: set apiKeys.existingSecret (preferred) or --set-file apiKeys.value=PATH (lines \"NAME sha256:HEX\", made with neo-bridge --hash-api-key)" -}}
{{- end -}}
{{- if and $keys (ne $policy "api-keys") -}}
{{- fail (printf "apiKeys is set but serviceToken.policy=%s does not use it: set policy api-keys or remove apiKeys" $policy) -}}
{{- end -}}
{{- if and $v.tls.enabled (not $v.tls.existingSecret) -}}
{{- fail "tls.enabled=true needs tls.existingSecret: a Secret with the certificate chain and key (e.g. from cert-manager)" -}}
{{- end -}}
{{- if and (ne $v.tls.clientAuth "none") (not $v.tls.enabled) -}}
{{- fail (printf "tls.clientAuth=%s needs tls.enabled=true" $v.tls.clientAuth) -}}
{{- end -}}
{{- $drain := include "neo-bridge.durationSeconds" (dict "value" $v.config.shutdownDrainWindow "what" "config.shutdownDrainWindow") | float64 -}}
{{- $timeout := include "neo-bridge.durationSeconds" (dict "value" $v.config.shutdownTimeout "what" "config.shutdownTimeout") | float64 -}}
{{- if ge $drain $timeout -}}
{{- fail (printf "config.shutdownDrainWindow (%s) must be shorter than config.shutdownTimeout (%s): streams need time to end after the window" $v.config.shutdownDrainWindow $v.config.shutdownTimeout) -}}
{{- end -}}
{{- if and $v.serviceMonitor.enabled (not $v.metrics.enabled) -}}
{{- fail "serviceMonitor.enabled=true needs metrics.enabled=true" -}}
{{- end -}}
{{- if and $v.autoscaling.activeStreams.enabled (not $v.metrics.enabled) -}}
{{- fail "autoscaling.activeStreams.enabled=true needs metrics.enabled=true" -}}
{{- end -}}
{{- if and $v.autoscaling.enabled (gt (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas)) -}}
{{- fail (printf "autoscaling.minReplicas (%v) is above autoscaling.maxReplicas (%v)" $v.autoscaling.minReplicas $v.autoscaling.maxReplicas) -}}
{{- end -}}
{{- if and $v.autoscaling.enabled (not (or $v.autoscaling.targetCPUUtilizationPercentage $v.autoscaling.targetMemoryUtilizationPercentage $v.autoscaling.activeStreams.enabled)) -}}
{{- fail "autoscaling.enabled=true needs a metric: targetCPUUtilizationPercentage, targetMemoryUtilizationPercentage or activeStreams" -}}
{{- end -}}
{{- if and $v.podDisruptionBudget.enabled (eq (toString $v.podDisruptionBudget.minAvailable) "") (eq (toString $v.podDisruptionBudget.maxUnavailable) "") -}}
{{- fail "podDisruptionBudget: set maxUnavailable or minAvailable" -}}
{{- end -}}
{{- if and $v.tests.enabled $v.tls.enabled (eq $v.tls.clientAuth "require") (not $v.tests.tls.clientSecret) -}}
{{- fail "tests: with tls.clientAuth=require the helm test needs a client certificate: set tests.tls.clientSecret (a kubernetes.io/tls Secret) or tests.enabled=false" -}}
{{- end -}}
{{- end -}}
