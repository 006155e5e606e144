#!/usr/bin/env bash
# Runs every fuzz target for a bounded time: fuzz/run.sh [SECONDS_PER_TARGET] [--dev] (default 60 s, release
# build). --dev builds unoptimised (2.5 minutes instead of 6 on two cores, fewer inputs a second): for CI.
# Needs cargo-fuzz (installed here if missing). The stable toolchain is used with RUSTC_BOOTSTRAP=1, which
# lets it take the sanitizer flags cargo-fuzz passes. Crashes are written to fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
profile=()
[ "${2:-}" = "--dev" ] && profile=(--dev)
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
mkdir -p corpus/config corpus/matchers corpus/template corpus/alerts
# Seeds: the shipped configs, the matchers and templates they hold, a Prometheus-shaped body.
cp ../config/*.yml ../tests/routing/*.yml corpus/config/ 2>/dev/null || true
printf '%s' 'alertname="Disk", severity=~"crit.*", team!="b"' > corpus/matchers/seed
printf '%s' '{{ range .Alerts }}{{ .Labels.alertname }}{{ end }} {{ template "slack.default.title" . }}' > corpus/template/seed
printf '%s' '[{"labels":{"alertname":"A"},"annotations":{"s":"x"},"startsAt":"2026-01-01T00:00:00Z"}]' > corpus/alerts/seed
status=0
for target in matchers config template alerts; do
  echo "== $target: ${seconds}s"
  log="$(mktemp)"
  if ! cargo fuzz run "${profile[@]}" --sanitizer none "$target" "corpus/$target" -- -max_total_time="$seconds" -max_len=8192 >"$log" 2>&1; then
    status=1
    grep -E 'panicked|ERROR|artifact|Test unit' "$log" | head -20 || true
  fi
  grep -E '^#[0-9]+.*DONE' "$log" | tail -1 || true
  rm -f "$log"
done
exit $status
