#!/bin/bash
# Mopidy 4 needs GStreamer >= 1.26.2; Debian 12 has 1.22. This builds (once, and
# again when this recipe changes) a Debian 13 root with debootstrap under
# _local/debian13, and runs a command there on a copy of the working tree.
#
# Usage: scripts/debian13.sh build
#        scripts/debian13.sh run COMMAND...   (run as root: chroot and mounts)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
base="$repo/_local/debian13"
root="$base/root"
suite=trixie
mirror=http://deb.debian.org/debian
packages=python3,python3-gi,python3-venv,gir1.2-gstreamer-1.0,gir1.2-gst-plugins-base-1.0,gstreamer1.0-plugins-base,ca-certificates,mpc
recipe=$(echo "$suite $mirror $packages" | sha256sum | cut -c1-16)
stamp="$base/.recipe-$recipe"

# Mounts a killed run may have left: never delete through them.
release_mounts() {
    for mount_point in "$root/dev" "$root/proc"; do
        if mountpoint -q "$mount_point" 2>/dev/null; then
            umount -l "$mount_point"
        fi
    done
}

build() {
    if [[ -f "$stamp" ]]; then
        return
    fi
    if ! command -v debootstrap >/dev/null; then
        echo "debootstrap is missing: apt-get install -y debootstrap" >&2
        exit 1
    fi
    echo "Building a Debian 13 root in $root (once; a few minutes)"
    release_mounts
    rm -rf --one-file-system "$base"
    mkdir -p "$base"
    debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" \
        > "$base/debootstrap.log" 2>&1 || {
        tail -20 "$base/debootstrap.log" >&2
        echo "debootstrap failed; the whole log is in $base/debootstrap.log" >&2
        exit 1
    }
    touch "$stamp"
}

run() {
    if (( EUID != 0 )); then
        echo "The Mopidy 4 tests run in a Debian 13 chroot and need root. Run" >&2
        echo "make test as root, or 'tox -e mopidy4' on a system with" >&2
        echo "GStreamer >= 1.26.2 and Python 3.13." >&2
        exit 1
    fi
    release_mounts
    build
    # A fresh copy of the working tree, as the tests must see it.
    rm -rf --one-file-system "$root/work/src"
    mkdir -p "$root/work/src"
    tar -C "$repo" --exclude=./_local --exclude=./.tox --exclude=./.git \
        --exclude='*.egg-info' --exclude=__pycache__ -cf - . | tar -C "$root/work/src" -xf -
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    # The host's trust store (it may hold a proxy's CA) for pip inside.
    cp "${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}" "$root/etc/ssl/certs/host-ca.crt"
    mounted=()
    cleanup() {
        for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
            umount -l "${mounted[i]}" 2>/dev/null || true
        done
    }
    trap cleanup EXIT
    mount -t proc proc "$root/proc" && mounted+=("$root/proc")
    mount --bind /dev "$root/dev" && mounted+=("$root/dev")
    mkdir -p "$root/dev/shm"
    chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
        PATH=/opt/tox/bin:/usr/local/bin:/usr/bin:/bin \
        SSL_CERT_FILE=/etc/ssl/certs/host-ca.crt PIP_CERT=/etc/ssl/certs/host-ca.crt \
        /bin/bash -c 'cd /work/src && "$@"' bash "$@"
}

case "${1:-}" in
    build) build ;;
    run) shift; run "$@" ;;
    *) echo "usage: $0 build | run COMMAND..." >&2; exit 2 ;;
esac
