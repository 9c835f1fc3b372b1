#!/bin/bash
# Clean Debian roots with Debian's own `mopidy` package, installed the README's
# way (its `sudo apt install ...` line), for the test of Mopidy-MTScrobble under
# Debian's Mopidy service (tests/debian). Each root is built once with
# debootstrap and kept in the cache outside the clone (like pip's cache;
# $MTSCROBBLE_CACHE, default ~/.cache/mopidy-mtscrobble), and built again only
# when its recipe (suite, mirror, the README's apt line, this script) changes.
# Tests never change it: each system is an overlay on it (tests/debian/system.py).
#
# Usage: scripts/debian-service.sh build SUITE...   (bookworm = Debian 12, trixie = 13)
#        scripts/debian-service.sh root SUITE       (prints the root's path)
# Needs root (debootstrap, chroot).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${MTSCROBBLE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mopidy-mtscrobble}
mirror=http://deb.debian.org/debian
# Installed offline by tests: Debian's own pylast (too old: the extension must be
# disabled with a reason), and Debian's pytest, hypothesis and trustme for the
# unit suite (with xdist, its tests mostly wait).
extra_downloads="python3-pylast python3-pytest python3-hypothesis python3-trustme python3-pytest-xdist"

readme_apt_packages() {
    local line
    line=$(grep -m1 -E '^ +sudo apt install ' "$repo/README.rst") || {
        echo "README.rst has no 'sudo apt install' line" >&2
        exit 1
    }
    echo "${line#*sudo apt install }"
}

recipe_of() {
    (echo "$1 $mirror $(readme_apt_packages) $extra_downloads"; cat "$0") | sha256sum | cut -c1-16
}

base_of() {
    echo "$cache/debian-service-$1-$(recipe_of "$1")"
}

root_of() {
    echo "$(base_of "$1")/root"
}

release_mounts() {
    local root=$1 mount_point
    for mount_point in "$root/dev" "$root/proc"; do
        if mountpoint -q "$mount_point" 2>/dev/null; then
            umount -l "$mount_point"
        fi
    done
}

in_root() {
    local root=$1
    shift
    chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        DEBIAN_FRONTEND=noninteractive "$@"
}

build() {
    local suite=$1 packages base root stamp log
    packages=$(readme_apt_packages)
    base=$(base_of "$suite")
    root="$base/root"
    stamp="$base/.built"
    # One build of a suite at a time (two make test runs share the cache).
    mkdir -p "$cache"
    exec 9>"$cache/.debian-service-$suite.lock"
    flock 9
    if [[ -f "$stamp" ]]; then
        return
    fi
    if ! command -v debootstrap >/dev/null; then
        echo "debootstrap is missing: apt-get install -y debootstrap" >&2
        exit 1
    fi
    echo "Building a clean Debian $suite root with Debian's mopidy in $root (once; a few minutes)"
    release_mounts "$root"
    rm -rf --one-file-system "$base"
    # Roots of this suite's older recipes are of no more use.
    find "$cache" -maxdepth 1 -name "debian-service-$suite-*" ! -path "$base" \
        -exec rm -rf --one-file-system {} + 2>/dev/null || true
    mkdir -p "$base"
    log="$base/build.log"
    debootstrap --variant=minbase --include=ca-certificates "$suite" "$root" "$mirror" \
        > "$log" 2>&1 || {
        tail -20 "$log" >&2
        echo "debootstrap failed; the whole log is in $log" >&2
        exit 1
    }
    # No service may start inside the root (there is no init system there).
    printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    mount -t proc proc "$root/proc"
    mount --bind /dev "$root/dev"
    # The README's apt line (without the Recommends: compilers and desktop sound).
    # shellcheck disable=SC2086
    if ! { in_root "$root" apt-get update -q &&
        in_root "$root" apt-get install -y -q --no-install-recommends $packages &&
        in_root "$root" apt-get install -y -q --no-install-recommends --download-only \
            $extra_downloads; } >> "$log" 2>&1; then
        release_mounts "$root"
        tail -20 "$log" >&2
        echo "Installing Debian's packages failed; the whole log is in $log" >&2
        exit 1
    fi
    release_mounts "$root"
    touch "$stamp"
}

case "${1:-}" in
    build)
        shift
        if (( EUID != 0 )); then
            echo "Building the Debian roots needs root (debootstrap, chroot)." >&2
            exit 1
        fi
        # Side by side: mostly waiting on the mirror.
        builders=()
        for suite in "$@"; do
            build "$suite" &
            builders+=($!)
        done
        failed=0
        for builder in "${builders[@]}"; do
            wait "$builder" || failed=1
        done
        exit "$failed"
        ;;
    root) root_of "$2" ;;
    *) echo "usage: $0 build SUITE... | root SUITE" >&2; exit 2 ;;
esac
