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
# A failed row says why in a few words (CI shows only the last lines of the output): a pytest
# stage its count of failures and the first failing test, a Molecule scenario the step and the
# task that failed (or the failing testinfra test, or the tasks that broke idempotence), taken
# from the output each stage leaves in .build/test-stages/<stage>.out.
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

# failure_reason FILE: why the stage or scenario whose output FILE holds failed, on one short line.
failure_reason() {
  local file=$1
  [[ -s $file ]] || { echo "no output"; return; }
  # (ANSI colours out; Molecule's "glob failed" line about molecule/default is not a failure)
  sed -e 's/\x1b\[[0-9;]*m//g' "$file" | awk '
    function clip(text, width) { return length(text) > width ? substr(text, 1, width - 3) "..." : text }
    # pytest: "FAILED tests/x.py::test_y - AssertionError", "ERROR tests/x.py - ..." (short
    # summary) and the closing count "2 failed, 310 passed in 61.0s"
    /^(FAILED|ERROR) [^ ]+::|^(FAILED|ERROR) tests\// {
      id = $2; sub(/ - .*/, "", id)
      if (!first_test) first_test = id
      if ($1 == "FAILED") { failed_tests++ } else { error_tests++ }
      next
    }
    /^=* *[0-9]+ (failed|passed|error)/ && / in [0-9.]+s/ { summary = $0; gsub(/=+ */, "", summary); gsub(/ *=+$/, "", summary) }
    # Molecule: the step that failed, "[scenario > converge] Executed: Failed"
    /\[[^]]+ > [a-z_]+\] Executed: Failed/ && !step {
      step = $0; sub(/.*\[[^]]* > /, "", step); sub(/\].*/, "", step)
    }
    # Ansible: the task header, then "fatal: [host]: FAILED! => {...}" / "failed: [host] (item=..."
    /^TASK \[/ { task = $0; sub(/^TASK \[/, "", task); sub(/\] \**$/, "", task); sub(/^[a-z0-9_]+\.[a-z0-9_]+\./, "", task); next }
    /^(fatal|failed): \[[^]]+\]/ && !failed_task {
      failed_task = task
      host = $0; sub(/^(fatal|failed): \[/, "", host); sub(/\].*/, "", host)
      msg = ""
      if (match($0, /"msg": "[^"]*"/)) msg = substr($0, RSTART + 8, RLENGTH - 9)
      if (/UNREACHABLE/) msg = "unreachable"
    }
    # Molecule idempotence: the tasks listed after "Idempotence test failed"
    /Idempotence test failed/ { idem = 1; next }
    idem == 1 && /^ *\* +\[/ {
      line = $0; sub(/^ *\* +\[[^]]*\] => /, "", line); sub(/^[a-z0-9_]+\.[a-z0-9_]+\./, "", line)
      changed = changed (changed ? "; " : "") line; next
    }
    idem == 1 { idem = 2 }
    # anything else: the first error line (Molecule, ansible-test "ERROR: ...", a script)
    /^(CRITICAL|ERROR)[: ]/ && !/glob failed|Executed: Failed/ && !critical {
      critical = $0; sub(/^(CRITICAL|ERROR):? +/, "", critical)
    }
    NF { last = $0 }
    END {
      prefix = step ? step ": " : ""
      if (failed_tests + error_tests) {
        counts = summary ? summary : (failed_tests " failed" (error_tests ? ", " error_tests " errors" : ""))
        sub(/ in [0-9.]+s.*/, "", counts)
        print clip(prefix counts "; first: " first_test, 160)
      } else if (failed_task) {
        print clip(prefix "task \"" failed_task "\" on " host (msg ? ": " msg : ""), 160)
      } else if (changed) {
        print clip(prefix "not idempotent: " changed, 160)
      } else if (summary && summary ~ /failed|error/) {
        print clip(prefix summary, 160)
      } else if (critical) {
        print clip(prefix critical, 160)
      } else {
        print clip(prefix (last ? last : "see the output above"), 160)
      }
    }'
}

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
  # (kept for the reason a failed row gives)
  "$@" 2>&1 | tee "$out/$name.out"
  [[ ${PIPESTATUS[0]} -eq 0 ]] || status=FAILED
  row "$name" "$status" $((SECONDS - start)) \
    "$([[ $status == passed ]] || echo "  $(failure_reason "$out/$name.out")")" >>"$out/rows.$lane"
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
    if [[ $rc -eq 0 ]]; then
      row "  molecule/$scenario" passed "$took" "  (overlaps)" >>"$out/rows.$lane"
    else
      row "  molecule/$scenario" FAILED "$took" \
        "  (overlaps)  $(failure_reason "$out/molecule-$scenario.out")" >>"$out/rows.$lane"
    fi
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
