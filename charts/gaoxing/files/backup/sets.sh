# shellcheck shell=sh
# sets.sh, sourced by the backup scripts: a backup is a set directory under BACKUP_DIR,
# written as <stamp>.partial and renamed into place once whole, so a set whose name does
# not end in ".partial" is whole; only the newest KEEP (default 7) sets are kept.

# new_set names the set ($stamp) and makes its directory ($partial).
new_set() {
  stamp=$(date -u +%Y%m%dT%H%M%SZ)-$$ # the process id keeps two sets of one second apart
  partial="$BACKUP_DIR/$stamp.partial"
  mkdir -p "$partial"
}

# complete_set KIND renames the set into place and removes all but the newest KEEP sets.
complete_set() {
  mv "$partial" "$BACKUP_DIR/$stamp"
  echo "$1 $stamp complete"
  n=0
  # only names of whole sets: not a leftover .partial, another kind's directory or the
  # file system's lost+found.
  # shellcheck disable=SC2010 # the pattern admits only digits, T, Z and -
  for set in $(ls -1 "$BACKUP_DIR" | grep -E '^[0-9]{8}T[0-9]{6}Z-[0-9]+$' | sort -r); do
    n=$((n + 1))
    if [ "$n" -gt "${KEEP:-7}" ]; then
      rm -rf "${BACKUP_DIR:?}/$set"
      echo "removed $1 $set"
    fi
  done
}
