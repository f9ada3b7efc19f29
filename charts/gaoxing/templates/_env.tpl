{{/* The environment of a service's container: the GAOXING_* flags of pkg/app, the
sealing keys of pkg/sealed and OTEL_* of pkg/telemetry. Call with (list $ "identity" $svc). */}}
{{- define "gaoxing.serviceEnv" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $svc := index . 2 -}}
{{- $v := $root.Values -}}
- name: POD_NAME
  valueFrom: {fieldRef: {fieldPath: metadata.name}}
- name: POD_NAMESPACE
  valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
- name: GAOXING_HTTP_ADDR
  value: {{ printf ":%d" (int $v.ports.http) | quote }}
- name: GAOXING_GRPC_ADDR
  value: {{ printf ":%d" (int $v.ports.grpc) | quote }}
- name: GAOXING_ETCD_ENDPOINTS
  value: {{ include "gaoxing.etcdEndpoints" $root | quote }}
{{- include "gaoxing.tlsClientEnv" $root }}
- name: GAOXING_DATA_DIR
  value: /var/lib/gaoxing
{{- if include "gaoxing.servicesTLS" $root }}
- name: GAOXING_TLS_CERT_FILE
  value: /etc/gaoxing/tls/tls.crt
- name: GAOXING_TLS_KEY_FILE
  value: /etc/gaoxing/tls/tls.key
{{- end }}
- name: GAOXING_SQL_MAX_CONNS
  value: {{ $v.postgresql.connections.perPod | quote }}
# the schema is the migration Job's (templates/migrate.yaml); this user has no DDL rights.
- name: GAOXING_MIGRATE
  value: never
{{- if $v.sql.existingSecret }}
- name: GAOXING_SQL_DSN
  valueFrom: {secretKeyRef: {name: {{ $v.sql.existingSecret }}, key: {{ $name }}}}
{{- else }}
# pgx reads the password from PGPASSWORD, so it never appears in the DSN or the spec.
- name: PGPASSWORD
  valueFrom: {secretKeyRef: {name: {{ include "gaoxing.secret" (list $root "postgresql" $v.postgresql.existingSecret) }}, key: password}}
- name: GAOXING_SQL_DSN
  value: {{ printf "postgres://%s@%s:%d/%s?%s" $v.postgresql.user (include "gaoxing.postgresHost" $root) (int $v.postgresql.port) $name (include "gaoxing.pgDSNQuery" $root) | quote }}
{{- end }}
{{- if $svc.minio }}
- name: GAOXING_MINIO_ENDPOINT
  value: {{ include "gaoxing.minioEndpoint" $root | quote }}
- name: GAOXING_MINIO_SSL
  value: {{ include "gaoxing.minioSSL" $root | quote }}
{{- with include "gaoxing.minioPublicURL" $root }}
- name: GAOXING_MINIO_PUBLIC_URL
  value: {{ . | quote }}
{{- end }}
{{- with $v.minio.bucket }}
- name: GAOXING_MINIO_BUCKET
  value: {{ . | quote }}
{{- end }}
# the release's own user, with rights on the bucket's objects only (minio-provision.yaml).
- name: GAOXING_MINIO_ACCESS_KEY
  value: {{ $v.minio.user | quote }}
- name: GAOXING_MINIO_SECRET_KEY
  valueFrom: {secretKeyRef: {name: {{ include "gaoxing.secret" (list $root "minio" $v.minio.existingSecret) }}, key: service-secret-key}}
{{- end }}
- name: GAOXING_ISSUER
  value: {{ include "gaoxing.issuer" $root | quote }}
{{- with include "gaoxing.jwksURL" $root }}
- name: GAOXING_JWKS_URL
  value: {{ . | quote }}
{{- end }}
- name: GAOXING_AUDIENCE
  value: {{ $v.auth.audience | quote }}
{{- $peers := list -}}
{{- range $peer, $p := $v.services -}}
{{- if and $p.enabled (ne $peer $name) -}}
{{- $peers = append $peers (printf "%s=%s%s.%s.svc:%d" $peer (ternary "tls://" "" (eq (include "gaoxing.servicesTLS" $root) "true")) (include "gaoxing.componentName" (list $root $peer)) $root.Release.Namespace (int $v.ports.grpc)) -}}
{{- end -}}
{{- end }}
{{- if $peers }}
- name: GAOXING_PEERS
  value: {{ join "," $peers | quote }}
{{- end }}
{{- if and $svc.webhooks $v.secrets.webhooks.existingSecret }}
- name: GAOXING_WEBHOOKS_DIR
  value: /etc/gaoxing/webhooks
{{- end }}
- name: GAOXING_LOG_LEVEL
  value: {{ $v.logLevel | quote }}
- name: GAOXING_SEALED_KEYS
  valueFrom: {secretKeyRef: {name: {{ include "gaoxing.secret" (list $root "sealing" $v.secrets.sealing.existingSecret) }}, key: keys}}
- name: GAOXING_SEALED_INDEX_KEY
  valueFrom: {secretKeyRef: {name: {{ include "gaoxing.secret" (list $root "sealing" $v.secrets.sealing.existingSecret) }}, key: index-key}}
{{- if and (eq $name "identity") $v.secrets.admin.existingSecret }}
- name: GAOXING_ADMIN_PASSWORD
  valueFrom: {secretKeyRef: {name: {{ $v.secrets.admin.existingSecret }}, key: password}}
{{- end }}
{{- if $v.otel.endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ $v.otel.endpoint | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ $v.otel.protocol | quote }}
{{- with $v.otel.sampler }}
- name: OTEL_TRACES_SAMPLER
  value: {{ . | quote }}
{{- end }}
{{- with $v.otel.samplerArg }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ . | quote }}
{{- end }}
{{- end }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ printf "k8s.namespace.name=$(POD_NAMESPACE),k8s.pod.name=$(POD_NAME),gaoxing.tier=%s" $v.tier | quote }}
{{- with $svc.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}
