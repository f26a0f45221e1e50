#!/usr/bin/env bash
# Deploy one image tag of AI Competitor Insight Hub on a docker compose host, and
# roll back to the tag that was running if the new release does not become ready.
#
#   deploy/deploy.sh IMAGE_TAG          e.g. deploy/deploy.sh 3f2c1e9...  (a git SHA)
#
# Run from the directory holding docker-compose.yml, docker-compose.prod.yml and .env.
#   AIHUB_IMAGE_REPO  the image without its tag (default ghcr.io/example/aihub)
#   HEALTH_URL        readiness probe (default http://127.0.0.1:${WEB_PORT:-8000}/readyz)
#   HEALTH_RETRIES    attempts before the release counts as failed (default 30)
#   HEALTH_INTERVAL   seconds between attempts (default 2)
#   DEPLOY_STATE_DIR  where the last good tag is recorded (default .deploy)
#
# Order: record the running tag, pull the new one, run the migrate job, start the
# release, probe /readyz. Migrations are expand-then-contract (docs/operations.md),
# so the previous image still runs against the migrated schema and rolling back
# never migrates backwards.
#
# Exit status: 0 deployed; 1 the new release failed and the previous one is back;
# 2 usage or a step before the switch failed (nothing changed); 3 the rollback
# failed too.
set -euo pipefail

if [ "$#" -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 IMAGE_TAG" >&2
  exit 2
fi

new_tag=$1
repo=${AIHUB_IMAGE_REPO:-ghcr.io/example/aihub}
new_image="$repo:$new_tag"
health_url=${HEALTH_URL:-http://127.0.0.1:${WEB_PORT:-8000}/readyz}
health_retries=${HEALTH_RETRIES:-30}
health_interval=${HEALTH_INTERVAL:-2}
state_dir=${DEPLOY_STATE_DIR:-.deploy}

log() { printf '%s deploy: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }

# Every compose call names the image explicitly: the shell's AIHUB_IMAGE wins over .env.
compose() {
  local image=$1
  shift
  AIHUB_IMAGE=$image docker compose -f docker-compose.yml -f docker-compose.prod.yml "$@"
}

running_image() {
  local container
  # docker-compose.prod.yml requires AIHUB_IMAGE even to list containers; any value does.
  container=$(compose "$new_image" ps -q web 2>/dev/null || true)
  if [ -n "$container" ]; then
    docker inspect --format '{{.Config.Image}}' "$container"
  elif [ -f "$state_dir/current" ]; then
    # web is down (a crashed release, a rebooted host): the last tag that passed.
    cat "$state_dir/current"
  fi
}

healthy() {
  local attempt
  for attempt in $(seq 1 "$health_retries"); do
    if curl --fail --silent --show-error --max-time 5 "$health_url" >/dev/null; then
      log "ready after $attempt attempt(s): $health_url"
      return 0
    fi
    sleep "$health_interval"
  done
  log "not ready after $health_retries attempts: $health_url"
  return 1
}

previous_image=$(running_image)
log "running: ${previous_image:-nothing}; deploying: $new_image"

log "pulling $new_image"
compose "$new_image" pull --quiet migrate web

# Migrations first, on their own: a failure here stops the deploy while the
# previous release is still serving.
log "migrating"
if ! compose "$new_image" run --rm migrate; then
  log "migrate failed; the previous release keeps running"
  exit 2
fi

log "starting $new_image"
compose "$new_image" up --detach --no-build --remove-orphans

if healthy; then
  mkdir -p "$state_dir"
  printf '%s\n' "$new_image" >"$state_dir/current"
  log "deployed $new_image"
  exit 0
fi

if [ -z "$previous_image" ]; then
  log "no previous release to roll back to"
  exit 1
fi

log "rolling back to $previous_image"
compose "$previous_image" up --detach --no-build --remove-orphans
if healthy; then
  log "rolled back to $previous_image; $new_image is not deployed"
  exit 1
fi
log "rollback to $previous_image is not ready either: intervene by hand"
exit 3
