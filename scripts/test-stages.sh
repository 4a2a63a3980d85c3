#!/usr/bin/env bash
# `make test`: run each stage of the test suite in turn, print a table of the wall time each
# took (the Molecule stage also prints one line per scenario), and fail when any stage failed.
# Every stage runs even after a failure, so one CI run shows all that is wrong.
#
#   scripts/test-stages.sh [stage ...]     stages are make targets; default: all of them
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

if [[ $# -gt 0 ]]; then
  stages=("$@")
else
  stages=(unit integration sanity lint docs-check test-hosts molecule)
fi

rows=()
failed=0
total_start=$SECONDS
for stage in "${stages[@]}"; do
  echo "=== stage $stage"
  start=$SECONDS
  if make --no-print-directory "$stage"; then
    status=passed
  else
    status=FAILED
    failed=$((failed + 1))
  fi
  rows+=("$(printf '%-12s %-7s %6d s' "$stage" "$status" $((SECONDS - start)))")
done

echo
echo "stage        result    time"
printf '%s\n' "${rows[@]}"
printf '%-12s %-7s %6d s\n' total "$([[ $failed -eq 0 ]] && echo passed || echo FAILED)" $((SECONDS - total_start))
[[ $failed -eq 0 ]]
