#!/bin/sh
# provision.sh: the object store as the services need it, run as MinIO's root user by the
# chart's provisioning Job on every install and upgrade (idempotent):
#   - the documents bucket, with object lock (which also turns versioning on);
#   - one policy that reads and writes objects of that bucket and nothing else: no other
#     bucket, no bucket deletion or configuration, no administration;
#   - the users that policy is attached to: this release's services' user and each tier
#     release's user, each with its own secret key (a user's key is set again on every
#     run, so rotating one is editing the Secret and upgrading);
#   - when REPLICA_URL is set, replication of the bucket to a second object store: every
#     object version, delete marker, retention and legal hold, under the same version ids
#     (the documents database names versions; restore.sh brings them back).
# Environment: ENDPOINT (http(s)://host:port), ROOT_USER, ROOT_PASSWORD, BUCKET,
# SERVICE_USER, TIER_USERS (space separated), SECRETS (a directory with the file
# service-secret-key and <user>-secret-key per tier user); optional REPLICA_URL,
# REPLICA_BUCKET and REPLICA_CREDENTIALS (a directory with access-key and secret-key of a
# user on the replica allowed to replicate into REPLICA_BUCKET, which its owner created
# with object lock).
set -eu
export MC_CONFIG_DIR="${MC_CONFIG_DIR:-${TMPDIR:-/tmp}/mc}"
scheme=${ENDPOINT%%://*}
hostport=${ENDPOINT#*://}
export MC_HOST_gaoxing="$scheme://$ROOT_USER:$ROOT_PASSWORD@$hostport"
q() { mc --quiet --no-color "$@"; }

until q ready gaoxing >/dev/null 2>&1; do echo "waiting for the object store at $ENDPOINT"; sleep 2; done

q mb --ignore-existing --with-lock "gaoxing/$BUCKET"
echo "bucket $BUCKET ready (object lock)"

policy="$BUCKET-objects"
file="${TMPDIR:-/tmp}/$policy.json"
# Bucket-level: what the service checks and lists. Object-level: reading and writing
# versions, their retention and legal holds; lifting GOVERNANCE retention is for the
# service's orphan sweep only (COMPLIANCE retention and legal holds cannot be lifted by
# anyone, root included).
cat >"$file" <<JSON
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketVersions",
        "s3:ListBucketMultipartUploads", "s3:GetBucketVersioning", "s3:GetBucketObjectLockConfiguration"],
      "Resource": ["arn:aws:s3:::$BUCKET"]
    },
    {
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject",
        "s3:DeleteObjectVersion", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts",
        "s3:GetObjectRetention", "s3:PutObjectRetention", "s3:GetObjectLegalHold",
        "s3:PutObjectLegalHold", "s3:BypassGovernanceRetention"],
      "Resource": ["arn:aws:s3:::$BUCKET/*"]
    }
  ]
}
JSON
q admin policy create gaoxing "$policy" "$file" >/dev/null
echo "policy $policy: objects of $BUCKET only"

for user in "$SERVICE_USER" ${TIER_USERS:-}; do
  if [ "$user" = "$SERVICE_USER" ]; then key="$SECRETS/service-secret-key"; else key="$SECRETS/$user-secret-key"; fi
  q admin user add gaoxing "$user" "$(cat "$key")" >/dev/null
  q admin policy attach gaoxing "$policy" --user "$user" >/dev/null
  echo "user $user: policy $policy"
done

if [ -n "${REPLICA_URL:-}" ]; then
  rules=$(q replicate ls "gaoxing/$BUCKET" --json 2>/dev/null || true)
  case "$rules" in
  *'"Destination"'*) echo "replication of $BUCKET kept" ;;
  *)
    rscheme=${REPLICA_URL%%://*}
    rhost=${REPLICA_URL#*://}
    q replicate add "gaoxing/$BUCKET" \
      --remote-bucket "$rscheme://$(cat "$REPLICA_CREDENTIALS/access-key"):$(cat "$REPLICA_CREDENTIALS/secret-key")@$rhost/$REPLICA_BUCKET" \
      --replicate "delete,delete-marker,existing-objects" >/dev/null
    echo "replication of $BUCKET to $REPLICA_URL/$REPLICA_BUCKET added"
    ;;
  esac
fi
