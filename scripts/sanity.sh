#!/usr/bin/env bash
# Run `ansible-test sanity` offline, in --local mode on the venv's Python.
#
# ansible-test wants the collection at ansible_collections/<ns>/<name> and, before its
# per-test virtual environments, downloads a pip bootstrap script from Ansible's CI host,
# which this workplace cannot reach. When that script is missing from ansible-test's cache
# we write a small stand-in that bootstraps pip from the standard library (ensurepip); a
# machine that already has the real script is left alone.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$top/.venv}
py=$venv/bin/python
pyver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
dest=$top/.build/sanity/ansible_collections/streamfleet/cluster

# One run at a time: runs share the copy below and ansible-test's venvs under ~/.ansible/test.
mkdir -p "$top/.build"
exec 9>"$top/.build/sanity.lock"
flock 9

pip_version=$("$py" - <<'PY'
import re, pathlib, ansible_test
src = (pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py").read_text()
m = re.search(r"default_packages = dict\(\s*pip='([^']+)'", src)
print(m.group(1) if m else "")
PY
)
if [[ -n "$pip_version" ]]; then
  cache=$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py
  if [[ ! -f $cache ]]; then
    mkdir -p "$(dirname "$cache")"
    cat > "$cache" <<'PY'
"""Offline stand-in for get-pip.py, written by streamfleet's scripts/sanity.sh."""
import ensurepip
import os
import subprocess
import sys

ensurepip.bootstrap()
# ensurepip points PIP_CONFIG_FILE at /dev/null; drop it so the machine's pip config
# (index and CA certificate) applies again.
os.environ.pop("PIP_CONFIG_FILE", None)
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))
PY
  fi
fi

# A clean copy of what git would ship (tracked and new, not ignored files).
rm -rf "$dest"
mkdir -p "$dest"
# Files deleted in the work tree but still in git's index make cp complain: they are skipped.
(cd "$top" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$dest" 2>/dev/null) || :
# The collection depends on amazon.aws (galaxy.yml); ansible-test looks for dependencies in the
# same ansible_collections tree as the collection under test, so link the copy bundled in the
# pinned ansible package next to it.
amazon_aws=$("$py" -c 'import ansible_collections.amazon.aws as c; print(list(c.__path__)[0])')
mkdir -p "$top/.build/sanity/ansible_collections/amazon"
ln -sfn "$amazon_aws" "$top/.build/sanity/ansible_collections/amazon/aws"
cd "$dest"
git init -q .
git add -A >/dev/null 2>&1
exec "$venv/bin/ansible-test" sanity --local --python "$pyver" --color no "$@"
