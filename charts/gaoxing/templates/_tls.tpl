{{/* Transport security shared by every template: the CA bundle, etcd's client identity,
PostgreSQL's sslmode. Files, never values in the spec: Secrets are mounted read-only. */}}

{{/* where the CA bundle is mounted; ca.crt inside it. */}}
{{- define "gaoxing.caDir" -}}/etc/gaoxing/ca{{- end -}}

{{/* true when a CA bundle is configured. */}}
{{- define "gaoxing.hasCA" -}}
{{- if or .Values.tls.caBundle.secret .Values.tls.caBundle.configMap }}true{{ end -}}
{{- end -}}

{{/* etcd's URL scheme for the bundled members. */}}
{{- define "gaoxing.etcdScheme" -}}
{{- ternary "https" "http" .Values.etcd.tls.enabled -}}
{{- end -}}

{{/* the environment a client of etcd needs beyond its endpoints (pkg/config.Etcd), and
the CA bundle for every other TLS client in Go (SSL_CERT_DIR adds it to the system
roots: the JWKS fetch, MinIO, gRPC peers). */}}
{{- define "gaoxing.tlsClientEnv" -}}
{{- $v := .Values -}}
{{- if include "gaoxing.hasCA" . }}
- name: SSL_CERT_DIR
  value: {{ include "gaoxing.caDir" . }}
{{- if $v.etcd.tls.enabled }}
- name: GAOXING_ETCD_CA_FILE
  value: {{ printf "%s/ca.crt" (include "gaoxing.caDir" .) }}
{{- end }}
{{- end }}
{{- if $v.etcd.tls.clientSecret }}
- name: GAOXING_ETCD_CERT_FILE
  value: /etc/gaoxing/etcd-client/tls.crt
- name: GAOXING_ETCD_KEY_FILE
  value: /etc/gaoxing/etcd-client/tls.key
{{- end }}
{{- if $v.etcd.auth.existingSecret }}
- name: GAOXING_ETCD_USERNAME
  valueFrom: {secretKeyRef: {name: {{ $v.etcd.auth.existingSecret }}, key: username}}
- name: GAOXING_ETCD_PASSWORD_FILE
  value: /etc/gaoxing/etcd-auth/password
{{- end }}
{{- end -}}

{{/* volume mounts of the files tlsClientEnv names. */}}
{{- define "gaoxing.tlsClientMounts" -}}
{{- if include "gaoxing.hasCA" . }}
- {name: ca-bundle, mountPath: {{ include "gaoxing.caDir" . }}, readOnly: true}
{{- end }}
{{- if .Values.etcd.tls.clientSecret }}
- {name: etcd-client, mountPath: /etc/gaoxing/etcd-client, readOnly: true}
{{- end }}
{{- if .Values.etcd.auth.existingSecret }}
- {name: etcd-auth, mountPath: /etc/gaoxing/etcd-auth, readOnly: true}
{{- end }}
{{- end -}}

{{/* the volumes of tlsClientMounts. */}}
{{- define "gaoxing.tlsClientVolumes" -}}
{{- $v := .Values -}}
{{- if $v.tls.caBundle.secret }}
- name: ca-bundle
  secret: {secretName: {{ $v.tls.caBundle.secret }}, items: [{key: ca.crt, path: ca.crt}], defaultMode: 0444}
{{- else if $v.tls.caBundle.configMap }}
- name: ca-bundle
  configMap: {name: {{ $v.tls.caBundle.configMap }}, items: [{key: ca.crt, path: ca.crt}], defaultMode: 0444}
{{- end }}
{{- if $v.etcd.tls.clientSecret }}
- name: etcd-client
  secret: {secretName: {{ $v.etcd.tls.clientSecret }}, items: [{key: tls.crt, path: tls.crt}, {key: tls.key, path: tls.key}], defaultMode: 0440}
{{- end }}
{{- if $v.etcd.auth.existingSecret }}
- name: etcd-auth
  secret: {secretName: {{ $v.etcd.auth.existingSecret }}, items: [{key: password, path: password}], defaultMode: 0440}
{{- end }}
{{- end -}}

{{/* sslmode of the services' DSNs: postgresql.sslmode when set; else verify-full when
the server is external or the bundled one has a certificate (against the CA bundle when
one is mounted, the system roots otherwise); disable only for a bundled server without
TLS. */}}
{{- define "gaoxing.pgSSLMode" -}}
{{- $pg := .Values.postgresql -}}
{{- if $pg.sslmode -}}
{{- $pg.sslmode -}}
{{- else if or (not $pg.bundled) $pg.tls.existingSecret -}}
verify-full
{{- else -}}
disable
{{- end -}}
{{- end -}}

{{/* the DSN's query: sslmode, and sslrootcert when it verifies against the CA bundle. */}}
{{- define "gaoxing.pgDSNQuery" -}}
{{- $mode := include "gaoxing.pgSSLMode" . -}}
sslmode={{ $mode }}
{{- if and (hasPrefix "verify" $mode) (include "gaoxing.hasCA" .) -}}
&sslrootcert={{ include "gaoxing.caDir" . }}/ca.crt
{{- end -}}
{{- end -}}

{{/* the services serve HTTP and gRPC over TLS (tls.services.secret): a "tls://" peer
prefix, https probes, scrapes, JWKS URL and Ingress backends. */}}
{{- define "gaoxing.servicesTLS" -}}
{{- if .Values.tls.services.secret -}}
{{- if not (include "gaoxing.hasCA" .) -}}
{{- fail "tls.services.secret needs tls.caBundle: the services verify each other against it" -}}
{{- end -}}
true
{{- end -}}
{{- end -}}

{{/* "https" when the services serve TLS, else "http". */}}
{{- define "gaoxing.serviceScheme" -}}
{{- ternary "https" "http" (eq (include "gaoxing.servicesTLS" .) "true") -}}
{{- end -}}
