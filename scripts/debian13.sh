#!/bin/bash
# Mopidy 4 needs GStreamer >= 1.26.2; Debian 12 has 1.22. This builds a Debian
# 13 root with debootstrap, with tox's mopidy4 and e2e-mopidy4 environments
# made inside it, and keeps it in the cache outside the clone (like pip's
# cache): built once, and again only when its recipe (this script, tox.ini,
# setup.cfg) changes. Each run gets an overlay of its own on the cached root
# (nothing a run does reaches the cache) with a copy of the working tree.
#
# Usage: scripts/debian13.sh build
#        scripts/debian13.sh test              the unit suite and end to end
#        scripts/debian13.sh run COMMAND...    (as root: chroot and mounts)
# The cache: $MTSCROBBLE_CACHE (default ~/.cache/mopidy-mtscrobble);
# `make clean-cache` empties it, so the next run builds the roots anew.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${MTSCROBBLE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mopidy-mtscrobble}
suite=trixie
mirror=http://deb.debian.org/debian
packages=python3,python3-gi,python3-venv,gir1.2-gstreamer-1.0,gir1.2-gst-plugins-base-1.0,gstreamer1.0-plugins-base,gstreamer1.0-plugins-good,dbus-x11,ca-certificates,mpc
recipe=$(echo "$suite $mirror $packages" | sha256sum | cut -c1-16)
# tox's environments in it are made again (not the root) when these change.
tox_recipe=$(cat "$0" "$repo/tox.ini" "$repo/setup.cfg" | sha256sum | cut -c1-16)
base="$cache/debian13-$recipe"
root="$base/root"
run_base="$repo/_local/debian13"
merged="$run_base/merged"
environments=mopidy4,e2e-mopidy4
# xdist workers for the unit suite: its tests mostly wait.
unit_workers=3

release_mounts() {
    local mount_point
    for mount_point in "$@"; do
        if mountpoint -q "$mount_point" 2>/dev/null; then
            umount -l "$mount_point"
        fi
    done
}

copy_tree() {  # the working tree, as the tests must see it
    rm -rf --one-file-system "$1"
    mkdir -p "$1"
    tar -C "$repo" --exclude=./_local --exclude=./.tox --exclude=./.git \
        --exclude='*.egg-info' --exclude=__pycache__ -cf - . | tar -C "$1" -xf -
}

in_chroot() {  # in_chroot ROOT COMMAND...
    local target=$1
    shift
    cp /etc/resolv.conf "$target/etc/resolv.conf"
    # The host's trust store (it may hold a proxy's CA) for pip inside.
    cp "${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}" "$target/etc/ssl/certs/host-ca.crt"
    local mounted=()
    mount -t proc proc "$target/proc" && mounted+=("$target/proc")
    mount --bind /dev "$target/dev" && mounted+=("$target/dev")
    mkdir -p "$target/dev/shm"
    local code=0
    chroot "$target" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
        PATH=/opt/tox/bin:/usr/local/bin:/usr/bin:/bin \
        SSL_CERT_FILE=/etc/ssl/certs/host-ca.crt PIP_CERT=/etc/ssl/certs/host-ca.crt \
        PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore \
        /bin/bash -c 'cd /work/src && "$@"' bash "$@" || code=$?
    release_mounts "${mounted[@]}"
    return "$code"
}

build() {
    # One build at a time (two make test runs on one machine share the cache).
    mkdir -p "$cache"
    exec 9>"$cache/.debian13.lock"
    flock 9
    if [[ ! -f "$base/.built" ]]; then
        build_root
    fi
    if [[ ! -f "$base/.tox-$tox_recipe" ]]; then
        echo "Making tox's Mopidy 4 environments in $root (once per tox.ini and setup.cfg)"
        copy_tree "$root/work/src"
        if ! in_chroot "$root" bash -c \
            "test -x /opt/tox/bin/tox || { python3 -m venv --system-site-packages /opt/tox &&
             /opt/tox/bin/pip install -q tox; } && tox --workdir /work/tox -e $environments --notest" \
            > "$base/tox.log" 2>&1; then
            tail -20 "$base/tox.log" >&2
            echo "Making tox's environments failed; the whole log is in $base/tox.log" >&2
            exit 1
        fi
        rm -f "$base"/.tox-*
        touch "$base/.tox-$tox_recipe"
    fi
    flock -u 9
}

build_root() {
    if ! command -v debootstrap >/dev/null; then
        echo "debootstrap is missing: apt-get install -y debootstrap" >&2
        exit 1
    fi
    echo "Building a Debian 13 root with Mopidy 4 in $root (once per recipe; a few minutes)"
    release_mounts "$root/dev" "$root/proc"
    rm -rf --one-file-system "$base"
    mkdir -p "$base"
    # Roots of older recipes are of no more use.
    find "$cache" -maxdepth 1 -name 'debian13-*' ! -path "$base" -exec rm -rf --one-file-system {} + 2>/dev/null || true
    debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" \
        > "$base/build.log" 2>&1 || {
        tail -20 "$base/build.log" >&2
        echo "debootstrap failed; the whole log is in $base/build.log" >&2
        exit 1
    }
    touch "$base/.built"
}

# An overlay of the cached root for this run, with a fresh copy of the tree.
overlay() {
    release_mounts "$merged/dev" "$merged/proc" "$merged"
    rm -rf --one-file-system "$run_base"
    mkdir -p "$merged" "$run_base/upper" "$run_base/work"
    mount -t overlay overlay \
        -o "lowerdir=$root,upperdir=$run_base/upper,workdir=$run_base/work" "$merged"
    copy_tree "$merged/work/src"
}

run() {
    if (( EUID != 0 )); then
        echo "The Mopidy 4 tests run in a Debian 13 chroot and need root. Run" >&2
        echo "make test as root, or 'tox -e mopidy4' on a system with" >&2
        echo "GStreamer >= 1.26.2 and Python 3.13." >&2
        exit 1
    fi
    build
    overlay
    local code=0
    in_chroot "$merged" "$@" || code=$?
    release_mounts "$merged"
    return "$code"
}

case "${1:-}" in
    build) build ;;
    test)
        run bash -c "tox --workdir /work/tox -e mopidy4 -- tests --ignore=tests/e2e \
            --ignore=tests/browser -n $unit_workers --dist loadscope; unit=\$?;
            tox --workdir /work/tox -e e2e-mopidy4 -- tests/e2e -n 2; e2e=\$?;
            exit \$(( unit || e2e ))"
        ;;
    run) shift; run "$@" ;;
    *) echo "usage: $0 build | test | run COMMAND..." >&2; exit 2 ;;
esac
