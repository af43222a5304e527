#!/bin/sh
# PID 1 of the test server: what the init system does on a real server before the operator logs in, nothing more.
# Starts the server's own Docker engine (settings in /etc/docker/daemon.json) and waits; the test runs the operator's
# commands with docker exec.
set -eu
# Loop devices for the agent's volume quotas: udev makes them on a real server; a container's /dev holds only the
# nodes that existed when it started.
[ -e /dev/loop-control ] || mknod -m 0660 /dev/loop-control c 10 237
for n in $(seq 0 63); do [ -e "/dev/loop$n" ] || mknod -m 0660 "/dev/loop$n" b 7 "$n"; done
dockerd >/var/log/dockerd.log 2>&1 &
exec sleep infinity
