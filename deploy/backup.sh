#!/bin/sh
# One PostgreSQL backup, then retention: run by the `backup` service of
# docker-compose.prod.yml (postgres:16-alpine, so POSIX sh and busybox find).
#
#   PGHOST, PGUSER, PGPASSWORD, PGDATABASE   the database (libpq reads them)
#   BACKUP_DIR              where dumps go (default /backups, a named volume)
#   BACKUP_RETENTION_DAYS   dumps older than this many days are deleted (default 14)
#
# Custom format (-Fc): compressed, and pg_restore can restore one table or all.
# Restore: docs/operations.md, "Restore a backup".
set -eu

dir=${BACKUP_DIR:-/backups}
days=${BACKUP_RETENTION_DAYS:-14}

case $days in
  '' | *[!0-9]*)
    echo "backup: BACKUP_RETENTION_DAYS must be a whole number of days, got '$days'" >&2
    exit 2
    ;;
esac

mkdir -p "$dir"
file="$dir/aihub-$(date -u +%Y%m%dT%H%M%SZ).dump"

# Written under a temporary name and renamed when complete, so a dump cut short
# never looks like a good one and is never what retention keeps.
pg_dump --format=custom --no-owner --file="$file.partial"
mv "$file.partial" "$file"
echo "backup: wrote $file ($(wc -c <"$file") bytes)"

# Retention counts whole minutes, so "14 days" means 14 days, not find's rounded -mtime.
find "$dir" -type f \( -name 'aihub-*.dump' -o -name 'aihub-*.dump.partial' \) \
  -mmin +"$((days * 1440))" -print -delete
