{{/* Names and labels shared by every manifest of the chart. */}}

{{- define "airlock.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "airlock.fullname" -}}
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

{{- define "airlock.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "airlock.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: airlock
{{- end -}}

{{/* Selector labels of one component (worker or gateway): pass (list $ "worker"). */}}
{{- define "airlock.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "airlock.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "airlock.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "airlock.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "airlock.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "airlock.sasl" -}}
{{- if hasPrefix "SASL_" .Values.config.kafka_security_protocol -}}true{{- end -}}
{{- end -}}

{{- define "airlock.tls" -}}
{{- if has .Values.config.kafka_security_protocol (list "SSL" "SASL_SSL") -}}true{{- end -}}
{{- end -}}

{{/*
The hash of what the worker reads only at start (configuration, Secret names, rules,
dictionaries): a change of any of them rolls the pods. Policies are not in it: the kubelet
updates their mounted ConfigMap in place and the worker reloads them
(config.policy_reload_interval_s), without a restart.
*/}}
{{- define "airlock.configChecksum" -}}
{{- list .Values.config .Values.secrets .Values.rules .Values.dictionaries | toJson | sha256sum -}}
{{- end -}}

{{/* The environment every Airlock container gets: config from the ConfigMap, secrets by reference. */}}
{{- define "airlock.env" -}}
- name: AIRLOCK_HASH_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.hashKey.name }}
      key: {{ .Values.secrets.hashKey.key }}
{{- if include "airlock.sasl" . }}
- name: AIRLOCK_KAFKA_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.kafkaCredentials.name }}
      key: {{ .Values.secrets.kafkaCredentials.usernameKey }}
- name: AIRLOCK_KAFKA_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.kafkaCredentials.name }}
      key: {{ .Values.secrets.kafkaCredentials.passwordKey }}
{{- end }}
{{- if and (include "airlock.tls" .) .Values.secrets.kafkaCa.name }}
- name: AIRLOCK_KAFKA_SSL_CAFILE
  value: /etc/airlock/kafka-ca/{{ .Values.secrets.kafkaCa.key }}
{{- end }}
{{- end -}}

{{/* Volumes shared by the worker and the gateway. */}}
{{- define "airlock.volumes" -}}
- name: cache
  emptyDir: {}
- name: tmp
  emptyDir:
    medium: Memory
    sizeLimit: 64Mi
{{- if .Values.policies }}
- name: policies
  configMap:
    name: {{ include "airlock.fullname" . }}-policies
{{- end }}
{{- if .Values.rules }}
- name: rules
  configMap:
    name: {{ include "airlock.fullname" . }}-rules
{{- end }}
{{- if .Values.dictionaries }}
- name: dictionaries
  configMap:
    name: {{ include "airlock.fullname" . }}-dictionaries
{{- end }}
{{- if and (include "airlock.tls" .) .Values.secrets.kafkaCa.name }}
- name: kafka-ca
  secret:
    secretName: {{ .Values.secrets.kafkaCa.name }}
{{- end }}
{{- end -}}

{{- define "airlock.volumeMounts" -}}
- name: cache
  mountPath: /var/cache/airlock
- name: tmp
  mountPath: /tmp
{{- if .Values.policies }}
- name: policies
  mountPath: /etc/airlock/policies
  readOnly: true
{{- end }}
{{- if .Values.rules }}
- name: rules
  mountPath: /etc/airlock/rules
  readOnly: true
{{- end }}
{{- if .Values.dictionaries }}
- name: dictionaries
  mountPath: /etc/airlock/dictionaries
  readOnly: true
{{- end }}
{{- if and (include "airlock.tls" .) .Values.secrets.kafkaCa.name }}
- name: kafka-ca
  mountPath: /etc/airlock/kafka-ca
  readOnly: true
{{- end }}
{{- end -}}

{{/*
Copies the compiled Hyperscan database baked into the image into the pod's writable cache
(an emptyDir: the root filesystem is read-only). The database is keyed by the CPU's Hyperscan
platform (tune and features): on a CPU other than the build machine's the worker compiles it
once into this emptyDir, where it stays for the pod's life.
*/}}
{{- define "airlock.seedCache" -}}
- name: seed-cache
  image: {{ include "airlock.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command: ["cp", "-R", "/opt/airlock/cache/.", "/var/cache/airlock/"]
  securityContext:
    {{- toYaml .Values.securityContext | nindent 4 }}
  resources:
    requests:
      cpu: 10m
      memory: 32Mi
    limits:
      memory: 64Mi
  volumeMounts:
    - name: cache
      mountPath: /var/cache/airlock
{{- end -}}

{{/* The JSON list of the files of a mounted ConfigMap (AIRLOCK_RULES, AIRLOCK_DICTIONARIES):
each file by name, since the mount also holds the kubelet's ..data folders. */}}
{{- define "airlock.filePaths" -}}
{{- $dir := index . 0 -}}
{{- $paths := list -}}
{{- range $file, $_ := index . 1 -}}
{{- $paths = append $paths (printf "%s/%s" $dir $file) -}}
{{- end -}}
{{- toJson $paths -}}
{{- end -}}

{{/* A value as an environment variable: YAML numbers reach templates as floats, and a whole
one must not become "8.64e+07". */}}
{{- define "airlock.envValue" -}}
{{- if and (kindIs "float64" .) (eq (float64 (int64 .)) .) -}}
{{- int64 . -}}
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end -}}
