#!/bin/sh
# Stand-in subnode. Reads the config the agent mounts read-only and serves a status page on bindIp:ports.rpcHttp. It also
# answers JSON-RPC flotilla_health and eth_getBlockByNumber with a fresh head (an idle chain that is finalizing), so the
# agent's liveness probes, restart checks and image rollouts can be exercised without the real subnode; any other
# method is "method not found".
set -eu

CONFIG="${FLOTILLA_CONFIG:-/config/config.json}"
WWW=/tmp/www

fail() {
  echo "subnode-standin: $*" >&2
  exit 2
}

[ -f "$CONFIG" ] || fail "config $CONFIG is missing (the agent mounts it read-only at /config)"
[ -r "$CONFIG" ] || fail "config $CONFIG is not readable by uid $(id -u)"

# Value of a top-level key of the config (strings lose their quotes). Nested objects and arrays are skipped
# whole, because the agent's config repeats keys such as "nodeId" inside "members", sorted before the top level.
field() {
  awk -v want="$1" '
    function emit(member,   idx, key, value) {
      sub(/^[ \t\r\n]+/, "", member)
      if (substr(member, 1, 1) != "\"") return
      idx = index(substr(member, 2), "\"")
      key = substr(member, 2, idx - 1)
      if (key != want) return
      value = substr(member, idx + 2)
      sub(/^[ \t\r\n]*:[ \t\r\n]*/, "", value)
      sub(/[ \t\r\n]+$/, "", value)
      if (substr(value, 1, 1) == "\"") value = substr(value, 2, length(value) - 2)
      print value
      exit
    }
    { text = text $0 "\n" }
    END {
      depth = 0; instr = 0; esc = 0; member = ""
      n = length(text)
      for (i = 1; i <= n; i++) {
        c = substr(text, i, 1)
        if (instr) {
          if (esc) esc = 0; else if (c == "\\") esc = 1; else if (c == "\"") instr = 0
          member = member c
        } else if (c == "\"") {
          instr = 1; member = member c
        } else if (c == "{" || c == "[") {
          depth++; if (depth > 1) member = member c
        } else if (c == "}" || c == "]") {
          if (depth == 1) { emit(member); member = "" } else member = member c
          depth--
        } else if (c == "," && depth == 1) {
          emit(member); member = ""
        } else if (depth >= 1) {
          member = member c
        }
      }
    }' "$CONFIG"
}

# Chain names come from the contracts, so they are escaped before they go into the page.
html() {
  printf '%s' "$1" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g'
}

# "ports" comes back whole (one object of numbers); its rpcHttp is the JSON-RPC port.
PORT="$(field ports | tr -d ' \t\r\n' | sed -n 's/.*"rpcHttp":\([0-9]*\).*/\1/p')"
IP="$(field bindIp)"
CHAIN="$(field chainName)"
NODE="$(field nodeId)"

case "$PORT" in
  '' | *[!0-9]*) fail "ports.rpcHttp missing or not a number in $CONFIG" ;;
esac
[ -n "$IP" ] || fail "bindIp missing in $CONFIG"

mkdir -p "$WWW" 2>/dev/null || fail "cannot write $WWW (the root filesystem is read-only: mount a tmpfs at /tmp)"
# flotilla_health names the image the agent started this subnode with (config "image.id"), as the real subnode does.
field image | tr -d ' \t\r\n' | sed -n 's/.*"id":"\(sha256:[0-9a-f]*\)".*/\1/p' > "$WWW/image"
# An image built with FLOTILLA_STANDIN_STALLED set stands in for a broken version: it answers but never finalizes.
if [ -n "${FLOTILLA_STANDIN_STALLED:-}" ]; then
  : > "$WWW/stalled"
  echo "subnode-standin: FLOTILLA_STANDIN_STALLED is set: reporting a head that never moves"
fi
cat > "$WWW/page.html" <<PAGE
<!DOCTYPE html>
<html><head><title>flotilla subnode stand-in</title></head>
<body>
<h1>flotilla subnode stand-in</h1>
<p>chain: <span id="chain">$(html "$CHAIN")</span></p>
<p>node: <span id="node">$(html "$NODE")</span></p>
<p>listening: $IP:$PORT</p>
</body></html>
PAGE

echo "subnode-standin: chain '$CHAIN' node '$NODE', status page on http://$IP:$PORT/"
# httpd runs as a child: as PID 1 it would ignore SIGTERM and every stop would end in a kill.
# /www (in the image: /tmp is noexec) has no index.html, so httpd runs /www/cgi-bin/index.cgi for "/".
httpd -f -p "$IP:$PORT" -h /www &
HTTPD=$!
trap 'kill "$HTTPD" 2>/dev/null; wait "$HTTPD" 2>/dev/null; echo "subnode-standin: stopped"; exit 0' TERM INT
set +e
wait "$HTTPD"
STATUS=$?
fail "httpd exited with status $STATUS (is $IP:$PORT already in use?)"
