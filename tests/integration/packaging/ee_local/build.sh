#!/usr/bin/env bash
# Build the execution environment image here, without a registry or Galaxy, and run a playbook
# in it with ansible-runner. Not part of `make test` (about ten minutes); see docs/awx.md.
#
#   tests/integration/packaging/ee_local/build.sh [work dir]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../../.." && pwd)
bin=${VENV:-$top/.venv}/bin
work=${1:-$top/.build/ee}
# the collections of the pinned `ansible` package (a namespace package in site-packages)
site=$("$bin/python" -c 'import ansible_collections; print(list(ansible_collections.__path__)[0])')
# runc with explicit ulimits, as for the Molecule test hosts (crun fails to set rlimits here)
export CONTAINERS_CONF=$top/molecule/containers.conf
rm -rf "$work" && mkdir -p "$work/base" "$work/ee/collections"

cp "$here/Containerfile.base" "$here/pkgmgr-shim" "$work/base/"
cp /etc/ssl/certs/ca-certificates.crt "$work/base/host-ca.crt"
podman build -q -f "$work/base/Containerfile.base" -t localhost/streamfleet-ee-base:bookworm "$work/base"

requirements=$work/ee/requirements.yml
echo "collections:" > "$requirements"
(cd "$work" && env -u ANSIBLE_CONFIG "$bin/ansible-galaxy" collection build --force --output-path "$work/ee/collections" "$top" >/dev/null)
for tarball in "$work"/ee/collections/streamfleet-cluster-*.tar.gz; do
  echo "  - {name: collections/$(basename "$tarball"), type: file}" >> "$requirements"
done
for collection in amazon/aws community/general community/mysql; do
  version=$("$bin/python" -c "import json, sys; print(json.load(open(sys.argv[1]))['collection_info']['version'])" "$site/$collection/MANIFEST.json")
  name=${collection/\//-}-$version.tar.gz
  "$bin/python" "$here/repack.py" "$site/$collection" "$work/ee/collections/$name"
  echo "  - {name: collections/$name, type: file}" >> "$requirements"
done
cp "$here/execution-environment.yml" "$work/ee/"
(cd "$work/ee" && "$bin/ansible-builder" create -f execution-environment.yml -c context >/dev/null)
time podman build -f "$work/ee/context/Containerfile" -t localhost/streamfleet-ee:latest "$work/ee/context"

podman run --rm localhost/streamfleet-ee:latest sh -c 'pip list 2>/dev/null; ansible-galaxy collection list 2>/dev/null'
pdd=$work/job
mkdir -p "$pdd/project" "$pdd/inventory"
cp "$top/playbooks/wcs_cdn_aws.yml" "$pdd/project/"
echo "localhost ansible_connection=local ansible_python_interpreter=/opt/ee-venv/bin/python3" > "$pdd/inventory/hosts"
"$bin/ansible-runner" run "$pdd" -p wcs_cdn_aws.yml --cmdline="--syntax-check" --ident syntax \
  --process-isolation --process-isolation-executable podman --container-image localhost/streamfleet-ee:latest
test "$(cat "$pdd/artifacts/syntax/status")" = successful
echo "EE image localhost/streamfleet-ee:latest built; wcs_cdn_aws.yml parses in it"
