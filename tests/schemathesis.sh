#!/usr/bin/env bash
# Schemathesis (pip install schemathesis) against a live Herald: Alertmanager's own v2 OpenAPI (no answer may
# be a 5xx) and the repository's openapi.yaml (every check). Usage: tests/schemathesis.sh [EXAMPLES] (50).
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-50}"
command -v schemathesis >/dev/null 2>&1 || pip install -q schemathesis
cargo build -q
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
./target/debug/herald --web.listen-address="127.0.0.1:$port" --storage.path="$data" --log.level=error &
herald=$!
trap 'kill $herald; rm -rf "$data"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null && break; sleep 0.2; done
status=0
echo "== Alertmanager 0.25's OpenAPI: no 5xx"
schemathesis run ../shared/reference/alertmanager-openapi-v0.25.yaml --url "http://127.0.0.1:$port/api/v2" \
  -n "$examples" --checks not_a_server_error || status=1
echo "== openapi.yaml: every check"
schemathesis run openapi.yaml --url "http://127.0.0.1:$port" -n "$examples" || status=1
exit $status
