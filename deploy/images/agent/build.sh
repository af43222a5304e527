#!/usr/bin/env bash
# Builds the node agent's image and prints ONLY its image id on stdout:
#   deploy/images/agent/build.sh AGENT_JAR [tag]   (default tag flotilla/agent:dev)
# Layers: a jlink'd runtime (java.se and the JDK modules Spring Boot and docker-java use), the agent's executable
# jar, and the host's C libraries the runtime and the agent's native helpers (JNA, jffi) link against.
set -euo pipefail

JAR="${1:?usage: build.sh AGENT_JAR [tag]}"
TAG="${2:-flotilla/agent:dev}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
log() { echo "agent-image: $*" >&2; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
ROOTFS="$WORK/rootfs"
mkdir -p "$ROOTFS/opt/flotilla" "$ROOTFS/etc/flotilla" "$ROOTFS/var/lib/flotilla" "$ROOTFS/tmp"
cp "$JAR" "$ROOTFS/opt/flotilla/flotilla-agent.jar"

log "linking a Java runtime"
"$JAVA_HOME/bin/jlink" --add-modules java.se,jdk.unsupported,jdk.crypto.ec,jdk.management,jdk.zipfs,jdk.httpserver,jdk.net,jdk.naming.dns,jdk.jfr \
  --strip-debug --no-header-files --no-man-pages --compress=zip-6 --output "$ROOTFS/opt/java"

log "copying the C libraries"
for lib in $(ldd "$ROOTFS/opt/java/bin/java" "$ROOTFS/opt/java/lib/server/libjvm.so" "$ROOTFS"/opt/java/lib/*.so 2>/dev/null |
  awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $2 ~ /^\(/ {print $1}' | sort -u); do
  mkdir -p "$ROOTFS$(dirname "$lib")"
  cp -L "$lib" "$ROOTFS$lib"
done
# JNA and jffi (Unix socket to Docker) load libc, libdl and libpthread by name at run time.
for lib in /lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/libdl.so.2 /lib/x86_64-linux-gnu/libpthread.so.0 /lib/x86_64-linux-gnu/libm.so.6; do
  [[ -e "$lib" ]] && { mkdir -p "$ROOTFS$(dirname "$lib")"; cp -L "$lib" "$ROOTFS$lib"; }
done
echo "nobody:x:65534:65534:nobody:/var/lib/flotilla:/sbin/nologin" >"$ROOTFS/etc/passwd"
echo "nogroup:x:65534:" >"$ROOTFS/etc/group"
chmod 1777 "$ROOTFS/tmp"

cp "$HERE/Dockerfile" "$WORK/"
log "building $TAG"
DOCKER_BUILDKIT=0 docker build --pull=false --network none --tag "$TAG" "$WORK" >"$WORK/build.log" 2>&1 ||
  { cat "$WORK/build.log" >&2; exit 1; }
docker image inspect --format '{{.Id}}' "$TAG"
