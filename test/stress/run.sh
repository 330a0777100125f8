#!/usr/bin/env bash
# Runs tests repeatedly on a machine loaded on purpose, to prove they pass whatever the load: one busy-loop
# process pinned to each core (taskset when present) for the whole run, then N test runs in a row.
#
#   npm run test:stress                          # test/lifecycle/ 10 times
#   npm run test:stress -- --runs 3 --full       # the whole `npm test` 3 times
#   npm run test:stress -- --runs 5 test/api/    # any vitest filter
#   npm run test:stress -- --starve-postgres     # also run this machine's Postgres at the lowest CPU priority
#
# --starve-postgres (root, Postgres on this machine) renices every postgres process to 19 for the whole run, so
# queries answer slowly while the loaders take the CPU; the old niceness is restored at the end.
# Prints one line per run (pass/fail, wall seconds) and a summary; exits non-zero if any run failed. Each run's
# output is kept in $STRESS_LOG_DIR (default: a temporary folder) for the failures.
set -uo pipefail
cd "$(dirname "$0")/../.."

runs=10
full=false
starve=false
filters=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --full) full=true; shift ;;
    --starve-postgres) starve=true; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) filters+=("$1"); shift ;;
  esac
done
if [ "$full" = false ] && [ ${#filters[@]} -eq 0 ]; then filters=(test/lifecycle/); fi

logs="${STRESS_LOG_DIR:-$(mktemp -d -t fishcloud-stress-XXXXXX)}"
mkdir -p "$logs"
cores=$(nproc)
loaders=()
reniced=()
cleanup() {
  for pid in "${loaders[@]}"; do kill "$pid" 2>/dev/null; done
  for entry in "${reniced[@]}"; do renice -n "${entry#*:}" -p "${entry%%:*}" >/dev/null 2>&1; done
  # Backends forked while the server was starved inherited its niceness.
  if [ "$starve" = true ]; then for pid in $(pgrep -x postgres); do renice -n 0 -p "$pid" >/dev/null 2>&1; done; fi
}
trap cleanup EXIT
if [ "$starve" = true ]; then
  pids=$(pgrep -x postgres || true)
  if [ -z "$pids" ]; then echo "stress: --starve-postgres: no postgres process on this machine" >&2; exit 2; fi
  for pid in $pids; do
    reniced+=("$pid:$(ps -o ni= -p "$pid" | tr -d ' ')")
    renice -n 19 -p "$pid" >/dev/null || { echo "stress: cannot renice postgres (needs root)" >&2; exit 2; }
  done
  echo "stress: postgres ($(echo $pids | wc -w) processes) starved at nice 19"
fi
for ((core = 0; core < cores; core++)); do
  if command -v taskset >/dev/null 2>&1; then
    taskset -c "$core" node -e 'for (;;) {}' &
  else
    node -e 'for (;;) {}' &
  fi
  loaders+=($!)
done
what=$([ "$full" = true ] && echo "npm test" || echo "vitest run ${filters[*]}")
echo "stress: $cores busy-loop loaders running; $runs runs of: $what; logs in $logs"

passed=0
failed=0
total_start=$(date +%s)
for ((run = 1; run <= runs; run++)); do
  start=$(date +%s)
  if [ "$full" = true ]; then
    npm test >"$logs/run-$run.log" 2>&1
  else
    npx vitest run "${filters[@]}" >"$logs/run-$run.log" 2>&1
  fi
  status=$?
  seconds=$(($(date +%s) - start))
  summary=$(sed 's/\x1b\[[0-9;]*m//g' "$logs/run-$run.log" | grep -E '^ *Tests ' | tail -1 | sed 's/^ *//')
  if [ $status -eq 0 ]; then
    passed=$((passed + 1)); echo "run $run/$runs: pass in ${seconds}s ($summary)"
  else
    failed=$((failed + 1)); echo "run $run/$runs: FAIL in ${seconds}s ($summary) -> $logs/run-$run.log"
  fi
done
echo "stress: $passed of $runs runs green, $failed red, $(($(date +%s) - total_start))s in all"
[ $failed -eq 0 ]
