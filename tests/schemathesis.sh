#!/usr/bin/env bash
# Schemathesis (pip install schemathesis) against a live Herald: Alertmanager's own v2 OpenAPI (no answer may
# be a 5xx) and the repository's openapi.yaml. Usage: tests/schemathesis.sh [EXAMPLES] (50). CHECKS picks
# the checks against openapi.yaml: `all` by default; .ci/run asks for no 5xx and no undocumented status.
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-50}"
command -v schemathesis >/dev/null 2>&1 || pip install -q schemathesis
cargo build -q
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# A copy of the shipped config: PUT /api/herald/config rewrites the file it runs on.
cp config/alertmanager.yml "$data/config.yml"
./target/debug/herald --config.file="$data/config.yml" --web.listen-address="127.0.0.1:$port" --storage.path="$data" --log.level=error &
herald=$!
trap 'kill $herald; rm -rf "$data"' EXIT
python3 - "$port" <<'PY'
import sys, time, urllib.request
for _ in range(100):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/-/ready", timeout=1)
        break
    except Exception:
        time.sleep(0.2)
PY
status=0
am_spec=../shared/reference/alertmanager-openapi-v0.25.yaml
if [ -f "$am_spec" ]; then
  echo "== Alertmanager 0.25's OpenAPI: no 5xx"
  schemathesis run "$am_spec" --url "http://127.0.0.1:$port/api/v2" -n "$examples" --checks not_a_server_error || status=1
else
  echo "skipped: Alertmanager's OpenAPI is not at $am_spec (it is not part of this repository)"
fi
echo "== openapi.yaml: checks ${CHECKS:-all}"
schemathesis run openapi.yaml --url "http://127.0.0.1:$port" -n "$examples" --checks "${CHECKS:-all}" || status=1
exit $status
