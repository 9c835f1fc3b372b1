#!/bin/bash
# Installs the Debian packages that Mopidy-MTScrobble's `make run` / `make test` need.
# Usage: bootstrap-system.sh run|test
# As root, missing packages are installed with apt-get. Otherwise the exact
# command is printed and the script fails.
set -euo pipefail

# mpc: the README's first steps play the demo with it.
RUN_PACKAGES=(
    pkg-config libgirepository1.0-dev libcairo2-dev
    gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0
    gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-tools mpc
)
TEST_PACKAGES=(debootstrap chromium)

wanted=("${RUN_PACKAGES[@]}")
if [[ "${1:-run}" == test ]]; then
    wanted+=("${TEST_PACKAGES[@]}")
fi
# A Debian Python needs these to make a venv and build PyGObject.
if ! python3 -c 'import ensurepip' 2>/dev/null; then
    wanted+=(python3-venv)
fi
if [[ ! -e "$(python3 -c 'import sysconfig; print(sysconfig.get_path("include"))')/Python.h" ]]; then
    wanted+=(python3-dev)
fi

missing=()
for package in "${wanted[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$package")
    fi
done

if (( ${#missing[@]} == 0 )); then
    exit 0
fi

command="apt-get install -y ${missing[*]}"
if (( EUID != 0 )); then
    echo "Some system packages are missing. Install them as root, then run make again:" >&2
    echo "  sudo apt-get update && sudo $command" >&2
    exit 1
fi

echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
