#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine lacks for building and testing ConvReLU (the
# system libraries behind CBLAS, CICU and CZlib, Open MPI for multi-process training and its tests,
# and Python's venv), and nothing when all of it is there; then makes .venv with TensorBoard (whose reader the tests use) and matplotlib (figures)
# from PyPI when it is missing.
# The README's two commands start with it; .ci/run runs the README's test command.
set -euo pipefail
packages=(libopenblas-dev libicu-dev zlib1g-dev pkg-config openmpi-bin libopenmpi-dev python3-venv)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine's package lists may be empty or stale: refresh them before installing.
  $sudo apt-get update
  $sudo apt-get install -y --no-install-recommends "${missing[@]}"
  pkg-config --exists openblas || { echo "setup: pkg-config does not find openblas after installing libopenblas-dev" >&2; exit 1; }
fi
cd "$(dirname "$0")/.."
if ! .venv/bin/python -c "import tensorboard, matplotlib" 2>/dev/null; then
  echo "setup: making .venv with tensorboard and matplotlib" >&2
  python3 -m venv .venv
  .venv/bin/pip install --quiet tensorboard matplotlib
fi
