#!/usr/bin/env bash
# `make test`: run each stage of the test suite in turn, print a table of the wall time each
# took (one row per Molecule scenario), and fail when any stage failed. Every stage runs even
# after a failure, so one CI run shows all that is wrong.
#
#   scripts/test-stages.sh [stage ...]     stages are make targets; default: all of them
#
# The `molecule` stage runs scripts/molecule.sh once per scenario (molecule/*/molecule.yml),
# MOLECULE_JOBS (default 2) at a time, each its own row (molecule/<scenario>). Rows given in TEST_STAGES_PRELUDE (lines of
# "name seconds", e.g. the system packages .ci/run installed first) head the table and count
# in the total.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

if [[ $# -gt 0 ]]; then
  stages=("$@")
else
  # (`make test` made the venv first; .ci/run times it and passes it in TEST_STAGES_PRELUDE)
  stages=(unit integration sanity lint docs-check test-hosts molecule)
fi

rows=()
failed=0
prelude=0
while read -r name seconds; do
  [[ -n ${name:-} ]] || continue
  rows+=("$(printf '%-28s %-7s %6d s' "$name" passed "$seconds")")
  prelude=$((prelude + seconds))
done <<<"${TEST_STAGES_PRELUDE:-}"
total_start=$SECONDS

# run_stage ROW-NAME COMMAND...: run one stage, add its row.
run_stage() {
  local name=$1 start=$SECONDS status=passed
  shift
  echo "=== stage $name"
  if ! "$@"; then
    status=FAILED
    failed=$((failed + 1))
  fi
  rows+=("$(printf '%-28s %-7s %6d s' "$name" "$status" $((SECONDS - start)))")
}

# run_scenarios SCENARIO...: the Molecule scenarios, MOLECULE_JOBS (default 2) at a time. Each
# scenario has its own hosts and Podman network, so they do not meet; the hosts mostly wait on
# package installs and service starts, which is why two at a time beat one after the other on
# two cores. One row per scenario with its own wall time (not added to the total: they overlap)
# and one row for the whole stage. Each scenario's output is shown whole, in turn, when it ends.
run_scenarios() {
  local jobs=${MOLECULE_JOBS:-2} scenario stage_start=$SECONDS status=passed out=.build/molecule
  local -a running=()
  mkdir -p "$out"
  echo "=== stage molecule: ${#@} scenarios, $jobs at a time"
  for scenario in "$@"; do
    while (( $(jobs -rp | wc -l) >= jobs )); do wait -n || :; done
    (
      start=$SECONDS
      scripts/molecule.sh "$scenario" >"$out/$scenario.stage" 2>&1
      echo "$? $((SECONDS - start))" >"$out/$scenario.result"
    ) &
    running+=("$scenario")
  done
  wait
  for scenario in "${running[@]}"; do
    local rc=1 took=0
    read -r rc took <"$out/$scenario.result" || :
    echo "=== molecule/$scenario (rc $rc, ${took} s)"
    cat "$out/$scenario.stage"
    if [[ $rc -ne 0 ]]; then
      status=FAILED
      failed=$((failed + 1))
    fi
    rows+=("$(printf '%-28s %-7s %6d s  (overlapping, not summed)' "  molecule/$scenario" \
      "$([[ $rc -eq 0 ]] && echo passed || echo FAILED)" "$took")")
  done
  rows+=("$(printf '%-28s %-7s %6d s' "molecule ($jobs at a time)" "$status" $((SECONDS - stage_start)))")
}

for stage in "${stages[@]}"; do
  if [[ $stage == molecule ]]; then
    # The test hosts first (a no-op when current), then one row per scenario.
    make --no-print-directory venv test-hosts >/dev/null || failed=$((failed + 1))
    mapfile -t scenarios < <(scripts/molecule.sh --list)
    run_scenarios "${scenarios[@]}"
  else
    run_stage "$stage" make --no-print-directory "$stage"
  fi
done

total=$((SECONDS - total_start + prelude))
echo
printf '%-28s %-7s %8s\n' stage result time
printf '%s\n' "${rows[@]}"
printf '%-28s %-7s %6d s (%d min %02d s)\n' total "$([[ $failed -eq 0 ]] && echo passed || echo FAILED)" \
  "$total" $((total / 60)) $((total % 60))
[[ $failed -eq 0 ]]
