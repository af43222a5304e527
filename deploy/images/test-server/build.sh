#!/usr/bin/env bash
# Builds the image of a clean Debian 12 server for the install test (ServerInstallIT) and prints ONLY its tag:
#   deploy/images/test-server/build.sh
# There is no container registry here, so the base is made as Debian makes one: debootstrap (minbase) of bookworm from
# Debian's mirror, with Debian's own Docker engine (docker.io) and what the agent's isolation uses (nftables, mount,
# mkfs.ext4), piped into `docker import`. No Java, no Node, nothing of Flotilla: the test installs those as a
# validator would. The tag carries a hash of this folder, so the image is built once and reused until this changes.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MIRROR="${FLOTILLA_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
PACKAGES="docker.io,nftables,iproute2,e2fsprogs,procps,ca-certificates,curl"
log() { echo "test-server: $*" >&2; }

HASH="$( (cat "$HERE/build.sh" "$HERE/boot.sh" "$HERE/daemon.json"; echo "$PACKAGES") | sha256sum | cut -c1-12)"
TAG="flotilla/test-server:$HASH"
if docker image inspect "$TAG" >/dev/null 2>&1; then
  echo "$TAG"
  exit 0
fi

if ! command -v debootstrap >/dev/null; then
  log "installing debootstrap (Debian package)"
  { apt-get install -y -qq debootstrap >&2 || { apt-get update -qq >&2 && apt-get install -y -qq debootstrap >&2; }; } ||
    { log "could not install debootstrap"; exit 1; }
fi

WORK="$(mktemp -d /var/tmp/flotilla-test-server.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
log "debootstrap bookworm (minbase + $PACKAGES) from $MIRROR"
debootstrap --variant=minbase --include="$PACKAGES" bookworm "$WORK/rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
  { tail -n 30 "$WORK/debootstrap.log" >&2; exit 1; }
rm -rf "$WORK"/rootfs/var/cache/apt/archives/*.deb "$WORK"/rootfs/var/lib/apt/lists/*
install -D -m 0755 "$HERE/boot.sh" "$WORK/rootfs/usr/local/sbin/boot.sh"
install -D -m 0644 "$HERE/daemon.json" "$WORK/rootfs/etc/docker/daemon.json"
log "importing $TAG"
tar -C "$WORK/rootfs" -c . | docker import --change 'CMD ["/usr/local/sbin/boot.sh"]' \
  --change 'LABEL io.flotilla.test=test-server' - "$TAG" >/dev/null
echo "$TAG"
