#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine lacks for building and testing ConvReLU (the
# system libraries behind CBLAS, CICU and CZlib, and Open MPI for multi-process training and
# its tests), and nothing when all of it is there.
# The README's two commands start with it; .ci/run runs the README's test command.
set -euo pipefail
packages=(libopenblas-dev libicu-dev zlib1g-dev pkg-config openmpi-bin libopenmpi-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "setup: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine's package lists may be empty or stale: refresh them before installing.
$sudo apt-get update
$sudo apt-get install -y --no-install-recommends "${missing[@]}"
pkg-config --exists openblas || { echo "setup: pkg-config does not find openblas after installing libopenblas-dev" >&2; exit 1; }
