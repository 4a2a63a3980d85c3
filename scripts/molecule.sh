#!/usr/bin/env bash
# Run Molecule scenarios on the Podman test hosts (build them first: scripts/test-hosts.sh).
#
#   scripts/molecule.sh            every scenario under molecule/
#   scripts/molecule.sh mongodb    one scenario
#   scripts/molecule.sh --list     the scenarios, one a line (scripts/test-stages.sh runs each)
#
# Prints the wall time of each scenario and fails when any fails. Each scenario's output is
# also kept in .build/molecule/<scenario>.log; verifiers read it (STREAMFLEET_MOLECULE_LOG)
# to check that no credential reached the Ansible output.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$top/.venv}
cd "$top" || exit 1

export PATH=$venv/bin:$PATH
export CONTAINERS_CONF=${CONTAINERS_CONF:-$top/molecule/containers.conf}
export ANSIBLE_CONFIG=$top/ansible.cfg
# The collection under test (symlink made by `make collection-link`); the collections bundled
# in the venv's `ansible` package are found through Python's path.
export ANSIBLE_COLLECTIONS_PATH=$top/.build/collections
# Scenarios live in molecule/<name>/molecule.yml at the collection's top.
export MOLECULE_GLOB='molecule/*/molecule.yml'
export PYTHONUNBUFFERED=1
export ANSIBLE_FORCE_COLOR=0 PY_COLORS=0 NO_COLOR=1

if [[ ! -e $top/.build/collections/ansible_collections/streamfleet/cluster ]]; then
  mkdir -p "$top/.build/collections/ansible_collections/streamfleet"
  ln -sfn "$top" "$top/.build/collections/ansible_collections/streamfleet/cluster"
fi

if [[ ${1:-} == --list ]]; then
  find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -rn1 basename | sort
  exit 0
fi

if [[ $# -gt 0 && -n ${1:-} ]]; then
  scenarios=("$@")
else
  mapfile -t scenarios < <(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -rn1 basename | sort)
fi
[[ ${#scenarios[@]} -gt 0 ]] || { echo "molecule.sh: no scenario found under molecule/" >&2; exit 1; }

mkdir -p "$top/.build/molecule"
failed=()
summary=()
for scenario in "${scenarios[@]}"; do
  [[ -f molecule/$scenario/molecule.yml ]] || { echo "molecule.sh: no scenario molecule/$scenario" >&2; failed+=("$scenario"); continue; }
  log=$top/.build/molecule/$scenario.log
  : >"$log"
  echo "=== molecule test -s $scenario (log: $log)"
  start=$SECONDS
  STREAMFLEET_MOLECULE_LOG=$log molecule test -s "$scenario" 2>&1 | tee -a "$log"
  rc=${PIPESTATUS[0]}
  took=$((SECONDS - start))
  if [[ $rc -eq 0 ]]; then
    summary+=("molecule scenario $scenario: passed in ${took} s")
  else
    summary+=("molecule scenario $scenario: FAILED (rc $rc) in ${took} s")
    failed+=("$scenario")
  fi
done

printf '%s\n' "${summary[@]}"
echo "molecule: $(( ${#scenarios[@]} - ${#failed[@]} )) passed, ${#failed[@]} failed"
[[ ${#failed[@]} -eq 0 ]]
