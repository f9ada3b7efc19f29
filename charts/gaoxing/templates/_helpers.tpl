{{/* Names, labels, images and the environment shared by every template. */}}

{{- define "gaoxing.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* fullname: the release name, with the chart name unless the release already holds it. */}}
{{- define "gaoxing.fullname" -}}
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

{{/* component name: "<fullname>-<component>". Call with (list $ "identity"). */}}
{{- define "gaoxing.componentName" -}}
{{- $root := index . 0 -}}
{{- printf "%s-%s" (include "gaoxing.fullname" $root) (index . 1) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* selector labels of a component. Call with (list $ "identity"). */}}
{{- define "gaoxing.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "gaoxing.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/* all labels of a component's objects and pods. Call with (list $ "identity"). */}}
{{- define "gaoxing.labels" -}}
{{- $root := index . 0 -}}
{{ include "gaoxing.selectorLabels" . }}
app.kubernetes.io/part-of: gaoxing
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" $root.Chart.Name $root.Chart.Version | replace "+" "_" }}
gaoxing-tier: {{ $root.Values.tier }}
{{- end -}}

{{/* a peer selector: Gaoxing pods of the given components in this release's namespace
and in the named peer namespaces only (networkPolicy.peerNamespaces: the district's
namespace for a street or community release, theirs for the district), never in any
namespace: another release's pods carry the same labels. Call with (list $ (list "etcd")). */}}
{{- define "gaoxing.peerSelector" -}}
{{- include "gaoxing.peerSelectorItems" . | trim -}}
{{- end -}}

{{- define "gaoxing.peerSelectorItems" -}}
{{- $root := index . 0 -}}
{{- $components := index . 1 -}}
{{- $namespaces := prepend ($root.Values.networkPolicy.peerNamespaces | default list) $root.Release.Namespace -}}
{{- with $root.Values.district.namespace }}{{ $namespaces = append $namespaces . }}{{ end -}}
{{- range $ns := $namespaces | uniq }}
- namespaceSelector:
    matchLabels: {kubernetes.io/metadata.name: {{ $ns }}}
  podSelector:
    matchExpressions:
      - {key: app.kubernetes.io/part-of, operator: In, values: [gaoxing]}
      - {key: app.kubernetes.io/component, operator: In, values: {{ toJson $components }}}
{{- end }}
{{- end -}}

{{/* image reference. Call with (dict "root" $ "image" .image "defaultTag" "v1"). */}}
{{- define "gaoxing.image" -}}
{{- $root := .root -}}
{{- $repo := .image.repository -}}
{{- if $root.Values.image.registry -}}
{{- $repo = printf "%s/%s" (trimSuffix "/" $root.Values.image.registry) $repo -}}
{{- end -}}
{{- $tag := .image.tag | default .defaultTag -}}
{{- if .image.digest -}}
{{- printf "%s:%s@%s" $repo $tag .image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo $tag -}}
{{- end -}}
{{- end -}}

{{/* tag of Gaoxing's own images. */}}
{{- define "gaoxing.appTag" -}}
{{- .Values.image.tag | default .Chart.AppVersion -}}
{{- end -}}

{{/* the name of a Secret: the generated one when dev, else the existing one. Call with
(list $ "sealing" .Values.secrets.sealing.existingSecret). */}}
{{- define "gaoxing.secret" -}}
{{- $root := index . 0 -}}
{{- if $root.Values.dev -}}
{{- include "gaoxing.componentName" (list $root (printf "dev-%s" (index . 1))) -}}
{{- else -}}
{{- required (printf "the %s Secret must be given as an existingSecret (Secrets are generated only with dev: true)" (index . 1)) (index . 2) -}}
{{- end -}}
{{- end -}}

{{/* etcd client URLs, comma-separated: the bundled members or etcd.endpoints. */}}
{{- define "gaoxing.etcdEndpoints" -}}
{{- if .Values.etcd.bundled -}}
{{- $fullname := include "gaoxing.componentName" (list . "etcd") -}}
{{- $urls := list -}}
{{- range $i := until (int .Values.etcd.replicas) -}}
{{- $urls = append $urls (printf "%s://%s-%d.%s-headless.%s.svc:2379" (include "gaoxing.etcdScheme" $) $fullname $i $fullname $.Release.Namespace) -}}
{{- end -}}
{{- join "," $urls -}}
{{- else if and (not .Values.etcd.endpoints) .Values.district.namespace -}}
{{- $fullname := printf "%s-etcd" (include "gaoxing.districtFullname" .) -}}
{{- $urls := list -}}
{{- range $i := until (int .Values.district.etcdReplicas) -}}
{{- $urls = append $urls (printf "%s://%s-%d.%s-headless.%s.svc:2379" (include "gaoxing.etcdScheme" $) $fullname $i $fullname $.Values.district.namespace) -}}
{{- end -}}
{{- join "," $urls -}}
{{- else -}}
{{- required "etcd.endpoints (or district.namespace) is required when etcd.bundled is false" (join "," .Values.etcd.endpoints) -}}
{{- end -}}
{{- end -}}

{{/* the district release's fullname, as its own templates compute it. */}}
{{- define "gaoxing.districtFullname" -}}
{{- $r := .Values.district.release -}}
{{- if contains .Chart.Name $r }}{{ $r | trunc 63 | trimSuffix "-" }}{{ else }}{{ printf "%s-%s" $r .Chart.Name | trunc 63 | trimSuffix "-" }}{{ end -}}
{{- end -}}

{{/* PostgreSQL host. */}}
{{- define "gaoxing.postgresHost" -}}
{{- if .Values.postgresql.bundled -}}
{{- printf "%s.%s.svc" (include "gaoxing.componentName" (list . "postgresql")) .Release.Namespace -}}
{{- else if and (not .Values.postgresql.host) .Values.district.namespace -}}
{{- printf "%s-postgresql.%s.svc" (include "gaoxing.districtFullname" .) .Values.district.namespace -}}
{{- else -}}
{{- required "postgresql.host (or district.namespace, or sql.existingSecret) is required when postgresql.bundled is false" .Values.postgresql.host -}}
{{- end -}}
{{- end -}}

{{/* MinIO host:port. */}}
{{- define "gaoxing.minioEndpoint" -}}
{{- if .Values.minio.bundled -}}
{{- printf "%s.%s.svc:9000" (include "gaoxing.componentName" (list . "minio")) .Release.Namespace -}}
{{- else if and (not .Values.minio.endpoint) .Values.district.namespace -}}
{{- printf "%s-minio.%s.svc:9000" (include "gaoxing.districtFullname" .) .Values.district.namespace -}}
{{- else -}}
{{- required "minio.endpoint (or district.namespace) is required when minio.bundled is false" .Values.minio.endpoint -}}
{{- end -}}
{{- end -}}

{{/* "true" when the services reach MinIO over TLS: an external store that says so, or the
bundled server given a certificate. */}}
{{- define "gaoxing.minioSSL" -}}
{{- ternary "true" "false" (or .Values.minio.ssl (and .Values.minio.bundled (ne .Values.minio.tls.existingSecret ""))) -}}
{{- end -}}

{{/* the issuer URL tokens carry. */}}
{{- define "gaoxing.issuer" -}}
{{- if .Values.auth.issuer -}}
{{- .Values.auth.issuer -}}
{{- else if and .Values.district.host (not .Values.services.identity.enabled) -}}
{{- printf "%s://%s/api/identity" (include "gaoxing.publicScheme" .) .Values.district.host -}}
{{- else -}}
{{- printf "%s://%s/api/identity" (include "gaoxing.publicScheme" .) .Values.ingress.host -}}
{{- end -}}
{{- end -}}

{{/* the scheme of the public URLs: https unless the Ingress serves no TLS. */}}
{{- define "gaoxing.publicScheme" -}}
{{- ternary "https" "http" .Values.ingress.tls.enabled -}}
{{- end -}}

{{/* the JWKS URL services fetch signing keys from. */}}
{{- define "gaoxing.jwksURL" -}}
{{- if .Values.auth.jwksURL -}}
{{- .Values.auth.jwksURL -}}
{{- else if .Values.services.identity.enabled -}}
{{- printf "%s://%s.%s.svc:%d/api/identity/keys" (include "gaoxing.serviceScheme" .) (include "gaoxing.componentName" (list . "identity")) .Release.Namespace (int .Values.ports.http) -}}
{{- else if .Values.district.namespace -}}
{{- printf "%s://%s-identity.%s.svc:%d/api/identity/keys" (include "gaoxing.serviceScheme" .) (include "gaoxing.districtFullname" .) .Values.district.namespace (int .Values.ports.http) -}}
{{- end -}}
{{- end -}}

{{/* names of the enabled services, sorted. */}}
{{- define "gaoxing.enabledServices" -}}
{{- $names := list -}}
{{- range $name, $svc := .Values.services -}}
{{- if $svc.enabled -}}{{- $names = append $names $name -}}{{- end -}}
{{- end -}}
{{- toJson $names -}}
{{- end -}}

{{/* pod security context of the restricted profile. */}}
{{- define "gaoxing.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.podSecurity.runAsUser }}
runAsGroup: {{ .Values.podSecurity.runAsGroup }}
fsGroup: {{ .Values.podSecurity.runAsGroup }}
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* container security context of the restricted profile. */}}
{{- define "gaoxing.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* topology spread over zones and nodes. Call with (list $ "identity"). */}}
{{- define "gaoxing.topologySpread" -}}
{{- $root := index . 0 -}}
{{- range $key := list "topology.kubernetes.io/zone" "kubernetes.io/hostname" }}
- maxSkew: 1
  topologyKey: {{ $key }}
  whenUnsatisfiable: {{ $root.Values.topologySpread.whenUnsatisfiable }}
  labelSelector:
    matchLabels:
      {{- include "gaoxing.selectorLabels" (list $root (index $ 1)) | nindent 6 }}
{{- end }}
{{- end -}}

{{/* pod scheduling shared by every pod. */}}
{{- define "gaoxing.scheduling" -}}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.image.pullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* egress rule for cluster DNS. */}}
{{- define "gaoxing.dnsEgress" -}}
- to:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: kube-system}
  ports:
    - {port: 53, protocol: UDP}
    - {port: 53, protocol: TCP}
{{- end -}}

{{/* restricted pod settings shared by dependency and job pods (non-service pods). */}}
{{- define "gaoxing.podBasics" -}}
serviceAccountName: {{ include "gaoxing.fullname" . }}
automountServiceAccountToken: false
enableServiceLinks: false
securityContext:
  {{- include "gaoxing.podSecurityContext" . | nindent 2 }}
{{- include "gaoxing.scheduling" . }}
{{- end -}}

{{/* PostgreSQL's connection budget (see postgresql.connections in values.yaml). */}}
{{- define "gaoxing.pgBudget" -}}
{{- $c := .Values.postgresql.connections -}}
{{- $pods := ternary 1 0 .Values.migrations.owner -}}{{- /* the migration Job */ -}}
{{- range $name, $svc := .Values.services -}}
{{- if $svc.enabled -}}
{{- $pods = add $pods (ternary $svc.autoscaling.max $svc.replicas $svc.autoscaling.enabled) 1 -}}
{{- end -}}
{{- end -}}
{{- add (mul $pods $c.perPod) $c.otherTiers $c.reserve -}}
{{- end -}}

{{/* max_connections of the bundled server: the budget, or a larger explicit value. */}}
{{- define "gaoxing.pgMaxConnections" -}}
{{- $budget := include "gaoxing.pgBudget" . | int -}}
{{- $set := int .Values.postgresql.connections.maxConnections -}}
{{- if eq $set 0 -}}
{{- $budget -}}
{{- else if lt $set $budget -}}
{{- fail (printf "postgresql.connections.maxConnections is %d but the replicas need %d (perPod × most pods + migration + otherTiers + reserve)" $set $budget) -}}
{{- else -}}
{{- $set -}}
{{- end -}}
{{- end -}}

{{/* the bucket documents keeps its objects in (the service's default when unset). */}}
{{- define "gaoxing.bucket" -}}
{{- .Values.minio.bucket | default "gaoxing-documents" -}}
{{- end -}}

{{/* true when this release's Ingress routes /<bucket>/ to its bundled MinIO. */}}
{{- define "gaoxing.objectsIngress" -}}
{{- if and .Values.ingress.enabled .Values.minio.bundled .Values.minio.objectsIngress.enabled (not .Values.minio.publicURL) }}true{{ end -}}
{{- end -}}

{{/* the URL presigned links name: minio.publicURL, or the Ingress host. */}}
{{- define "gaoxing.minioPublicURL" -}}
{{- if .Values.minio.publicURL -}}
{{- trimSuffix "/" .Values.minio.publicURL -}}
{{- else if include "gaoxing.objectsIngress" . -}}
{{- printf "%s://%s" (include "gaoxing.publicScheme" .) .Values.ingress.host -}}
{{- else if and (not .Values.minio.bundled) .Values.district.host -}}
{{- printf "%s://%s" (include "gaoxing.publicScheme" .) .Values.district.host -}}
{{- end -}}
{{- end -}}

{{/* The container that pushes one backup kind's sets off the cluster (backup.offsite,
files/backup/offsite.sh) once the backup's own containers, run before it as init
containers, have written them. Call with (list $ "postgresql" "/backup"). */}}
{{- define "gaoxing.offsiteContainer" -}}
{{- $root := index . 0 -}}
{{- $o := $root.Values.backup.offsite -}}
{{- $prefix := $o.prefix | default (printf "%s/%s" $root.Release.Namespace $root.Release.Name) -}}
- name: offsite
  image: {{ include "gaoxing.image" (dict "root" $root "image" $root.Values.minio.mcImage "defaultTag" "") }}
  imagePullPolicy: {{ $root.Values.image.pullPolicy }}
  command: [/bin/sh, /etc/gaoxing/backup/offsite.sh, push]
  env:
    - {name: OFFSITE_URL, value: {{ $o.url | quote }}}
    - {name: OFFSITE_BUCKET, value: {{ required "backup.offsite.bucket is required with its url" $o.bucket | quote }}}
    - {name: OFFSITE_PREFIX, value: {{ printf "%s/%s" (trimSuffix "/" $prefix) (index . 1) | quote }}}
    - {name: OFFSITE_CREDENTIALS, value: /etc/gaoxing/offsite}
    - {name: BACKUP_DIR, value: {{ index . 2 | quote }}}
    - {name: MC_CONFIG_DIR, value: /tmp/mc}
    {{- if include "gaoxing.hasCA" $root }}
    - {name: SSL_CERT_DIR, value: {{ include "gaoxing.caDir" $root }}}
    {{- end }}
  resources:
    requests: {cpu: 10m, memory: 32Mi}
    limits: {memory: 256Mi}
  securityContext:
    {{- include "gaoxing.containerSecurityContext" $root | nindent 4 }}
  volumeMounts:
    - {name: scripts, mountPath: /etc/gaoxing/backup, readOnly: true}
    - {name: backup, mountPath: /backup, readOnly: true}
    - {name: tmp, mountPath: /tmp}
    - {name: offsite, mountPath: /etc/gaoxing/offsite, readOnly: true}
    {{- if include "gaoxing.hasCA" $root }}
    - {name: ca-bundle, mountPath: {{ include "gaoxing.caDir" $root }}, readOnly: true}
    {{- end }}
{{- end -}}

{{/* the credentials volume of offsiteContainer. */}}
{{- define "gaoxing.offsiteVolume" -}}
- name: offsite
  secret:
    secretName: {{ required "backup.offsite.existingSecret is required with its url" .Values.backup.offsite.existingSecret }}
    defaultMode: 0440
    items: [{key: access-key, path: access-key}, {key: secret-key, path: secret-key}]
{{- end -}}
