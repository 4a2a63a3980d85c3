#!/usr/bin/env bash
# `make test`: run every stage of the test suite, print a table of the wall time each took, and
# fail when any stage failed. Every stage runs even after a failure, so one CI run shows all that
# is wrong.
#
#   scripts/test-stages.sh [stage ...]     stages are make targets; default: all of them
#
# The stages run in two lanes side by side (TEST_STAGES_LANES=1 runs them one after the other):
#   python lane  unit, integration, sanity, lint, docs-check: pytest -n 2 and ansible-test keep
#                both cores busy
#   hosts lane   test-hosts, then the Molecule scenarios (molecule/*/molecule.yml), MOLECULE_JOBS
#                (default 2) at a time: each scenario has its own hosts and Podman network
# The hosts lane mostly waits on package installs and service starts inside the test hosts, so
# it fills the time the python lane leaves idle. Its output is prefixed with "[hosts]"; each
# scenario's output is shown whole when the scenario ends (and kept in .build/molecule/).
#
# Table: one row per stage and per scenario with its own wall time. Lanes and scenarios overlap,
# so the total is the wall time of the whole run (plus the prelude), not the sum of the rows.
# Rows given in TEST_STAGES_PRELUDE (lines of "name seconds", e.g. the system packages and the
# venv .ci/run made first) head the table and count in the total.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

if [[ $# -gt 0 ]]; then
  stages=("$@")
else
  # (`make test` made the venv first; .ci/run times it and passes it in TEST_STAGES_PRELUDE)
  stages=(unit integration sanity lint docs-check test-hosts molecule)
fi

out=$top/.build/test-stages
rm -rf "$out"
mkdir -p "$out" "$top/.build/molecule"

# row NAME STATUS SECONDS [NOTE]: one line of the table.
row() { printf '%-30s %-7s %6d s%s\n' "$1" "$2" "$3" "${4:-}"; }

prelude=0
while read -r name seconds; do
  [[ -n ${name:-} ]] || continue
  row "$name" passed "$seconds" >>"$out/rows.0-prelude"
  prelude=$((prelude + seconds))
done <<<"${TEST_STAGES_PRELUDE:-}"
total_start=$SECONDS

# run_stage LANE NAME COMMAND...: run one stage, add its row to the lane's rows.
run_stage() {
  local lane=$1 name=$2 start=$SECONDS status=passed
  shift 2
  echo "=== stage $name"
  "$@" || status=FAILED
  row "$name" "$status" $((SECONDS - start)) >>"$out/rows.$lane"
}

# running PID...: those of these processes that still run (`wait -n` refuses a finished one).
running() {
  local pid
  for pid; do kill -0 "$pid" 2>/dev/null && echo "$pid"; done
}

# run_scenarios LANE SCENARIO...: the Molecule scenarios, MOLECULE_JOBS at a time.
run_scenarios() {
  local lane=$1 jobs=${MOLECULE_JOBS:-2} scenario start=$SECONDS status=passed rc took
  shift
  local -a pids=()
  echo "=== stage molecule: $# scenarios, $jobs at a time"
  for scenario in "$@"; do
    # (waits name the scenarios' pids: the lane's output filter is a child of this shell too)
    while (( $(running "${pids[@]}" | wc -w) >= jobs )); do
      # shellcheck disable=SC2046
      wait -n $(running "${pids[@]}") 2>/dev/null || :
    done
    (
      began=$SECONDS
      scripts/molecule.sh "$scenario" >"$out/molecule-$scenario.out" 2>&1
      echo "$? $((SECONDS - began))" >"$out/molecule-$scenario.result"
      # one scenario's output at a time, whole (the inner script expands its own arguments)
      # shellcheck disable=SC2016
      flock "$out/print.lock" bash -c 'echo "=== molecule/$1 ended"; cat "$2"' _ "$scenario" \
        "$out/molecule-$scenario.out"
    ) &
    pids+=($!)
  done
  wait "${pids[@]}" 2>/dev/null
  for scenario in "$@"; do
    rc=1 took=0
    read -r rc took <"$out/molecule-$scenario.result" || :
    [[ $rc -eq 0 ]] || status=FAILED
    row "  molecule/$scenario" "$([[ $rc -eq 0 ]] && echo passed || echo FAILED)" "$took" \
      "  (overlaps)" >>"$out/rows.$lane"
  done
  row "molecule ($jobs at a time)" "$status" $((SECONDS - start)) >>"$out/rows.$lane"
}

# run_lane LANE STAGE...: the stages of one lane, one after the other.
run_lane() {
  local lane=$1 stage
  shift
  for stage in "$@"; do
    if [[ $stage == molecule ]]; then
      # The test hosts first (a no-op when current), then the scenarios.
      if ! make --no-print-directory venv test-hosts >/dev/null; then
        row "molecule (test hosts)" FAILED 0 >>"$out/rows.$lane"
      fi
      local -a scenarios
      mapfile -t scenarios < <(scripts/molecule.sh --list)
      run_scenarios "$lane" "${scenarios[@]}"
    else
      run_stage "$lane" "$stage" make --no-print-directory "$stage"
    fi
  done
}

python_stages=()
host_stages=()
for stage in "${stages[@]}"; do
  case $stage in
    test-hosts | molecule) host_stages+=("$stage") ;;
    *) python_stages+=("$stage") ;;
  esac
done

if [[ ${TEST_STAGES_LANES:-2} -ge 2 && ${#python_stages[@]} -gt 0 && ${#host_stages[@]} -gt 0 ]]; then
  run_lane 2-hosts "${host_stages[@]}" > >(sed -u 's/^/[hosts] /') 2>&1 &
  hosts_lane=$!
  run_lane 1-python "${python_stages[@]}"
  wait "$hosts_lane"
else
  run_lane 1-python "${python_stages[@]}"
  run_lane 2-hosts "${host_stages[@]}"
fi

total=$((SECONDS - total_start + prelude))
failed=$(cat "$out"/rows.* 2>/dev/null | grep -c ' FAILED ')
echo
printf '%-30s %-7s %8s\n' stage result time
for rows in "$out"/rows.*; do
  [[ -f $rows ]] || continue
  case $rows in
    *1-python) echo "python lane:" ;;
    *2-hosts) echo "hosts lane (side by side with the python lane):" ;;
  esac
  cat "$rows"
done
printf '%-30s %-7s %6d s (%d min %02d s, wall time)\n' total \
  "$([[ $failed -eq 0 ]] && echo passed || echo FAILED)" "$total" $((total / 60)) $((total % 60))
[[ $failed -eq 0 ]]
