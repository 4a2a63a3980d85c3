#!/usr/bin/env bash
# Every module's documentation must render with ansible-doc (DOCUMENTATION/EXAMPLES/RETURN).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
export ANSIBLE_COLLECTIONS_PATH=$top/.build/collections
bin=${VENV:-$top/.venv}/bin
status=0
count=0
for f in "$top"/plugins/modules/*.py; do
  name=$(basename "$f" .py)
  [[ $name == __init__ ]] && continue
  count=$((count + 1))
  # At a line start only: option values may contain the words (autoscaling:EC2_INSTANCE_LAUNCH_ERROR).
  if ! out=$("$bin/ansible-doc" "streamfleet.cluster.$name" 2>&1) || grep -qE "^\[?(ERROR|WARNING)" <<<"$out"; then
    echo "ansible-doc failed for $name:"; echo "$out" | head -20; status=1
  fi
done
echo "ansible-doc rendered $count modules"
exit $status
