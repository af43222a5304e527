#!/bin/sh
# "/" of the stand-in: the status page for GET; for POST, JSON-RPC eth_getBlockByNumber answers a fresh head (an idle
# chain that is finalizing) and any other method is "method not found".
if [ "$REQUEST_METHOD" = "POST" ]; then
  body="$(head -c 4096)"
  printf 'Content-Type: application/json\r\n\r\n'
  case "$body" in
    *eth_getBlockByNumber*) printf '{"jsonrpc":"2.0","id":1,"result":{"number":"0x1","timestamp":"0x%x"}}' "$(date +%s)" ;;
    *) printf '{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"method not found"}}' ;;
  esac
else
  printf 'Content-Type: text/html\r\n\r\n'
  cat /tmp/www/page.html
fi
