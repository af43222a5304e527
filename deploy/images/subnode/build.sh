#!/usr/bin/env bash
# Builds the subnode image locally and prints ONLY its image id (sha256:...) on stdout, the digest to publish
# in the image registry:   deploy/images/subnode/build.sh [tag]   (default flotilla/subnode:dev)
#
# Layers: a jlink'd runtime (only the modules the node uses), the flotilla-chain jar and its dependencies, the
# RocksDB JNI library extracted ahead of time (the container's /tmp is noexec), and the host's C libraries the
# runtime and RocksDB link against. Runs as 65534:65534 on a read-only root filesystem.
set -euo pipefail

TAG="${1:-flotilla/subnode:dev}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
log() { echo "subnode-image: $*" >&2; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
ROOTFS="$WORK/rootfs"
mkdir -p "$ROOTFS/opt/flotilla/lib" "$ROOTFS/opt/flotilla/native" "$ROOTFS/etc" "$ROOTFS/tmp" "$ROOTFS/config" "$WORK/data"

log "building the chain module"
(cd "$ROOT" && JAVA_HOME="$JAVA_HOME" mvn -B -q -ntp -pl java/evm,java/subnode-config,java/chain -am -DskipTests package \
  dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$ROOTFS/opt/flotilla/lib") >&2
cp "$ROOT"/java/chain/target/flotilla-chain-*.jar "$ROOTFS/opt/flotilla/lib/"
# flotilla-evm and flotilla-subnode-config (the config schema) come from the reactor; make sure the freshly built
# ones are used.
cp "$ROOT"/java/evm/target/flotilla-evm-*.jar "$ROOTFS/opt/flotilla/lib/"
cp "$ROOT"/java/subnode-config/target/flotilla-subnode-config-*.jar "$ROOTFS/opt/flotilla/lib/"

log "extracting the RocksDB native library"
ROCKS_JAR=$(ls "$ROOTFS"/opt/flotilla/lib/rocksdbjni-*.jar | head -n 1)
(cd "$WORK" && "$JAVA_HOME/bin/jar" xf "$ROCKS_JAR" librocksdbjni-linux64.so)
mv "$WORK/librocksdbjni-linux64.so" "$ROOTFS/opt/flotilla/native/"

# C-KZG-4844 (the 0x0a point-evaluation precompile): its loader copies the library out of the jar into java.io.tmpdir
# unless it is already loaded; the EVM loads it from java.library.path (/opt/flotilla/native) first.
log "extracting the C-KZG-4844 native library"
KZG_JAR=$(ls "$ROOTFS"/opt/flotilla/lib/jc-kzg-4844-*.jar | head -n 1)
(cd "$WORK" && "$JAVA_HOME/bin/jar" xf "$KZG_JAR" ethereum/ckzg4844/lib/amd64/libckzg4844jni.so)
mv "$WORK/ethereum/ckzg4844/lib/amd64/libckzg4844jni.so" "$ROOTFS/opt/flotilla/native/"

# libsecp256k1 (senders, votes, handshakes, ECRECOVER): the EVM loads it from java.library.path first, else copies it
# out of the jar into a private temporary directory.
log "extracting the libsecp256k1 JNI library"
SECP_JAR=$(ls "$ROOTFS"/opt/flotilla/lib/secp256k1-kmp-jni-jvm-linux-*.jar | head -n 1)
(cd "$WORK" && "$JAVA_HOME/bin/jar" xf "$SECP_JAR" fr/acinq/secp256k1/jni/native/linux-x86_64/libsecp256k1-jni.so)
mv "$WORK/fr/acinq/secp256k1/jni/native/linux-x86_64/libsecp256k1-jni.so" "$ROOTFS/opt/flotilla/native/"

# The ERC-20 the image's training run deploys (the Dockerfile's RUN): OpenZeppelin's, compiled by Hardhat.
TOKEN_ARTIFACT="$ROOT/artifacts/contracts/bench/BenchToken.sol/BenchToken.json"
[[ -f "$TOKEN_ARTIFACT" ]] || { log "no $TOKEN_ARTIFACT: compile the contracts first (./flotilla setup, or npx hardhat compile)"; exit 1; }
mkdir -p "$ROOTFS/opt/flotilla/training"
cp "$TOKEN_ARTIFACT" "$ROOTFS/opt/flotilla/training/token.json"

log "linking a minimal Java runtime"
"$JAVA_HOME/bin/jlink" --add-modules java.base,java.logging,java.management,java.naming,java.net.http,java.sql,jdk.crypto.ec,jdk.httpserver,jdk.unsupported,jdk.zipfs \
  --strip-debug --no-header-files --no-man-pages --compress=zip-6 --output "$ROOTFS/opt/java"

log "copying the C libraries"
for lib in $(ldd "$ROOTFS/opt/java/bin/java" "$ROOTFS/opt/java/lib/server/libjvm.so" "$ROOTFS/opt/flotilla/native/librocksdbjni-linux64.so" \
  "$ROOTFS/opt/flotilla/native/libckzg4844jni.so" "$ROOTFS/opt/flotilla/native/libsecp256k1-jni.so" \
  "$ROOTFS"/opt/java/lib/*.so 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $2 ~ /^\(/ {print $1}' | sort -u); do
  mkdir -p "$ROOTFS$(dirname "$lib")"
  cp -L "$lib" "$ROOTFS$lib"
done
echo "nobody:x:65534:65534:nobody:/data:/sbin/nologin" >"$ROOTFS/etc/passwd"
echo "nogroup:x:65534:" >"$ROOTFS/etc/group"
chmod 1777 "$ROOTFS/tmp"

cp "$HERE/Dockerfile" "$WORK/"
log "building $TAG (with the training run of its ahead-of-time cache, about a minute)"
DOCKER_BUILDKIT=0 docker build --pull=false --network none --tag "$TAG" "$WORK" >"$WORK/build.log" 2>&1 ||
  { cat "$WORK/build.log" >&2; exit 1; }
docker image inspect --format '{{.Id}}' "$TAG"
