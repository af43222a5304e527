#!/bin/sh
# "/" of the stand-in: the status page for GET; for POST, JSON-RPC flotilla_health and eth_getBlockByNumber answer a fresh
# head (an idle chain that is finalizing) and any other method is "method not found".
if [ "$REQUEST_METHOD" = "POST" ]; then
  body="$(head -c 4096)"
  printf 'Content-Type: application/json\r\n\r\n'
  # A stalled stand-in (FLOTILLA_STANDIN_STALLED, see entrypoint) reports a head from 1970: not finalizing.
  if [ -e /tmp/www/stalled ]; then now=0; finalizing=false; else now="$(date +%s)"; finalizing=true; fi
  case "$body" in
    *flotilla_health*) printf '{"jsonrpc":"2.0","id":1,"result":{"head":1,"headTimestamp":%s,"finalizing":%s,"peersConnected":-1,"image":"%s"}}' \
      "$now" "$finalizing" "$(cat /tmp/www/image 2>/dev/null)" ;;
    *eth_getBlockByNumber*) printf '{"jsonrpc":"2.0","id":1,"result":{"number":"0x1","timestamp":"0x%x"}}' "$now" ;;
    *) printf '{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"method not found"}}' ;;
  esac
else
  printf 'Content-Type: text/html\r\n\r\n'
  cat /tmp/www/page.html
fi
