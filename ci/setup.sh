#!/usr/bin/env bash
# Installs every Debian/Ubuntu package autorec-cl needs to build, test and run on the CPU.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
    build-essential cmake pkg-config \
    ocl-icd-opencl-dev opencl-headers clinfo \
    libclblast-dev clblast-utils \
    pocl-opencl-icd \
    mesa-opencl-icd \
    libcriterion-dev \
    librandom123-dev \
    libcurl4-openssl-dev libarchive-dev libssl-dev \
    libopenblas-dev \
    libopenmpi-dev openmpi-bin \
    python3 python3-numpy \
    python3-scipy python3-pandas python3-pytest python3-venv python3-pip ninja-build \
    clang >/dev/null
echo "ci/setup.sh: dependencies installed"
