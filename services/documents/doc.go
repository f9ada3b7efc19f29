// Package documents is the documents service (材料与附件): every file behind an
// application, ticket or case. The bytes live in one MinIO bucket with object locking, under
// keys the service makes (tenants/<tenant>/documents/<id>/v<n>), and the metadata in the
// service's SQL store, with the tenant on every row and in every query. Files come in
// streamed through the service (hashed and size-checked on the way, never held whole in
// memory) or by a presigned PUT that the service verifies (size and SHA-256) before the
// document exists; they go out streamed with HTTP Range support or by a short-lived
// presigned GET. The object is always written before its row, so a storage outage leaves
// no row pointing at nothing, and a leader-only sweep removes what a failure left behind.
package documents
