#!/usr/bin/env bash
# Builds the stand-in subnode image and prints ONLY its image id (sha256:...) on stdout.
#   deploy/images/subnode-standin/build.sh [tag]      (default tag: flotilla/subnode-standin:dev)
# The static busybox comes from Debian's busybox-static; it is copied into a temporary build context
# so the binary never lands in the repository.
set -euo pipefail

TAG="${1:-flotilla/subnode-standin:dev}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUSYBOX=/bin/busybox

log() { echo "subnode-standin: $*" >&2; }

# A dynamically linked busybox (Debian's "busybox" package) would not run FROM scratch.
is_static() { [[ -x "$BUSYBOX" ]] && ! LC_ALL=C ldd "$BUSYBOX" >/dev/null 2>&1; }

if ! is_static; then
  log "installing busybox-static"
  if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -q busybox-static >&2 ||
    { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q busybox-static >&2; }; }; then
    log "apt-get install busybox-static failed"
    exit 1
  fi
  is_static || { log "$BUSYBOX is still not a static binary"; exit 1; }
fi

CONTEXT="$(mktemp -d)"
trap 'rm -rf "$CONTEXT"' EXIT
cp "$HERE/Dockerfile" "$HERE/entrypoint.sh" "$HERE/index.cgi" "$HERE/passwd" "$HERE/group" "$CONTEXT/"
cp "$BUSYBOX" "$CONTEXT/busybox"

# No buildx on these machines and no registry: the legacy builder, never pulling, with no network.
if ! DOCKER_BUILDKIT=0 docker build --pull=false --network none --tag "$TAG" "$CONTEXT" >"$CONTEXT/build.log" 2>&1; then
  log "docker build failed:"
  cat "$CONTEXT/build.log" >&2
  exit 1
fi
docker image inspect --format '{{.Id}}' "$TAG"
