#!/usr/bin/env bash
# Build the Podman images that Molecule uses as test hosts, only when they are missing.
#
#   localhost/streamfleet-testhost:bookworm   Debian 12, from the Debian mirror apt uses here
#   localhost/streamfleet-testhost:focal      Ubuntu 20.04 (main + universe), for MongoDB
#
# Each image is a debootstrap minbase root file system with systemd as /sbin/init, Python and
# what Ansible needs, imported with `podman import`. Build directories live under .build/.
#
# Cached by content: each image is labelled streamfleet.inputs=<hash of what debootstrap is
# given: this script, the package list, the suite and components>. An image whose label matches
# is left alone; a missing one is imported from the root file system archive kept under
# $TEST_HOSTS_CACHE (default .build/test-hosts/cache; CI may keep that directory between runs)
# when one with the same hash exists, so only a change of the inputs runs debootstrap again.
# An image built before the label existed is kept (TEST_HOSTS_REBUILD=1 rebuilds it).
# Set TEST_HOSTS_REBUILD=1 to rebuild images that already exist.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$top/molecule/containers.conf}
build=$top/.build/test-hosts
image_repo=localhost/streamfleet-testhost
packages=systemd,systemd-sysv,python3,python3-apt,iproute2,iputils-ping,procps,ca-certificates,sudo
ubuntu_mirror=${UBUNTU_MIRROR:-http://archive.ubuntu.com/ubuntu}
cache=${TEST_HOSTS_CACHE:-$build/cache}
label=streamfleet.inputs

die() { echo "test-hosts: ERROR: $*" >&2; exit 1; }
say() { echo "test-hosts: $*"; }

for tool in podman debootstrap curl tar; do
  command -v "$tool" >/dev/null || die "$tool is missing; install: apt-get install -y podman runc debootstrap uidmap slirp4netns fuse-overlayfs curl"
done
[[ $(id -u) -eq 0 ]] || die "debootstrap and rootful Podman need root"

# The Debian mirror this machine's apt already uses (deb822 or one-line sources).
debian_mirror() {
  local uri
  uri=$(grep -hsE '^\s*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null \
          | awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)
  if [[ -z $uri ]]; then
    uri=$(grep -hsE '^\s*deb\s' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
            | sed -E 's/\[[^]]*\]//' | awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

# Ubuntu's archive key ring. Debian 13 ships it as the `ubuntu-keyring` package; on Debian 12
# (not packaged there) it is taken from the same package of Debian's next release with a
# private apt configuration under .build, without touching the machine's apt setup.
ubuntu_keyring() {
  local system=/usr/share/keyrings/ubuntu-archive-keyring.gpg
  if [[ -s $system ]]; then echo "$system"; return; fi
  local dir=$build/ubuntu-keyring keyring=$build/ubuntu-keyring/ubuntu-archive-keyring.gpg
  if [[ ! -s $keyring ]]; then
    say "fetching Debian's ubuntu-keyring package (not installed on this machine)" >&2
    rm -rf "$dir"; mkdir -p "$dir"/{lists/partial,cache/archives/partial,deb}
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(debian_mirror) trixie main" \
      > "$dir/sources.list"
    local -a opts=(-q -o "Dir::Etc::SourceList=$dir/sources.list" -o Dir::Etc::SourceParts=/nonexistent
                   -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
                   -o Dir::State::status=/dev/null -o APT::Sandbox::User=root)
    apt-get "${opts[@]}" update >"$dir/apt.log" 2>&1 || die "apt-get update for ubuntu-keyring failed (see $dir/apt.log)"
    (cd "$dir/deb" && apt-get "${opts[@]}" download ubuntu-keyring >>"$dir/apt.log" 2>&1) \
      || die "could not download Debian's ubuntu-keyring package (see $dir/apt.log)"
    dpkg-deb -x "$dir"/deb/ubuntu-keyring_*.deb "$dir/root"
    cp "$dir/root/usr/share/keyrings/ubuntu-archive-keyring.gpg" "$keyring"
    rm -rf "$dir/lists" "$dir/cache"
  fi
  echo "$keyring"
}

# build_image TAG SUITE MIRROR COMPONENTS [FUNCTION PRINTING THE KEYRING]
# inputs_hash SUITE COMPONENTS: what decides an image's content (not the mirror: any mirror
# of the suite gives the same packages).
inputs_hash() {
  { cat "$0"; printf '%s\n' "$packages" "$1" "$2"; } | sha256sum | cut -c1-16
}

# import_rootfs TAR IMAGE HASH: the image from a root file system archive, labelled.
import_rootfs() {
  local previous
  previous=$(podman image inspect --format '{{.Id}}' "$2" 2>/dev/null || true)
  podman import --change 'CMD ["/sbin/init"]' --change 'ENV container=podman' \
      --change "LABEL $label=$3" "$1" "$2" >/dev/null
  # A rebuild leaves the previous image untagged: remove that one only.
  if [[ -n $previous && $previous != "$(podman image inspect --format '{{.Id}}' "$2")" ]]; then
    podman rmi "$previous" >/dev/null 2>&1 || :
  fi
}

# build_image TAG SUITE MIRROR COMPONENTS [FUNCTION PRINTING THE KEYRING]
build_image() {
  local tag=$1 suite=$2 mirror=$3 components=$4 keyring_source=${5:-} keyring=
  local image=$image_repo:$tag rootfs=$build/$tag hash have
  hash=$(inputs_hash "$suite" "$components")
  local archive=$cache/$tag-$hash.tar
  if [[ -z ${TEST_HOSTS_REBUILD:-} ]] && podman image exists "$image"; then
    have=$(podman image inspect --format "{{ index .Labels \"$label\" }}" "$image" 2>/dev/null || true)
    if [[ $have == "$hash" ]]; then
      say "$image is current (inputs $hash), nothing to do"
      return
    elif [[ -z $have || $have == "<no value>" ]]; then
      say "$image exists (built before content hashing), kept; TEST_HOSTS_REBUILD=1 rebuilds it"
      return
    fi
    say "$image was built from other inputs ($have, now $hash): rebuilding"
  fi
  local start=$SECONDS
  if [[ -z ${TEST_HOSTS_REBUILD:-} && -s $archive ]]; then
    import_rootfs "$archive" "$image" "$hash"
    say "imported $image from the cached $archive in $((SECONDS - start)) s"
    return
  fi
  if ! curl -fsS -m 30 -o /dev/null "$mirror/dists/$suite/Release"; then
    die "the package archive $mirror does not answer for '$suite' ($mirror/dists/$suite/Release).
    The $tag test host cannot be built, and the scenarios that need it cannot run.
    Report this: the scenarios must not pass without that host."
  fi
  if [[ -n $keyring_source ]]; then
    keyring=$("$keyring_source") || exit 1
  fi
  say "building $image from $mirror $suite ($components)"
  rm -rf "$rootfs"; mkdir -p "$rootfs"
  local -a args=(--variant=minbase --include="$packages" --components="$components")
  [[ -n $keyring ]] && args+=(--keyring="$keyring")
  if ! debootstrap "${args[@]}" "$suite" "$rootfs" "$mirror" >"$build/$tag.log" 2>&1; then
    tail -n 30 "$build/$tag.log" >&2
    die "debootstrap of $suite failed (full log: $build/$tag.log)"
  fi
  # Smaller image. The package lists are dropped and dated in the past so that a role's
  # `apt: update_cache: true, cache_valid_time: ...` fetches current ones.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin
  find "$rootfs/var/lib/apt/lists" -maxdepth 1 -type f ! -name lock -delete
  touch -d '2000-01-01' "$rootfs/var/lib/apt/lists"
  # No consoles to wait for in a container.
  chroot "$rootfs" systemctl mask getty.target console-getty.service systemd-logind.service >/dev/null 2>&1 || true
  : >"$rootfs/etc/machine-id"
  mkdir -p "$cache"
  rm -f "$cache/$tag"-*.tar
  tar -C "$rootfs" -cf "$archive.part" . && mv "$archive.part" "$archive"
  rm -rf "$rootfs"
  import_rootfs "$archive" "$image" "$hash"
  say "built $image (inputs $hash) in $((SECONDS - start)) s"
}

mkdir -p "$build"
exec 9>"$build/.lock"
flock 9

build_image bookworm bookworm "$(debian_mirror)" main
build_image focal focal "$ubuntu_mirror" main,universe ubuntu_keyring
