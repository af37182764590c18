#!/usr/bin/env bash
# python.sh - the Python package as a user gets it: the repository cloned afresh (what is
# committed), `pip install ./python` in a new virtual environment (NumPy, SciPy and pandas from
# the system's site packages; pip fetches scikit-build-core), then the package's pytest suite
# run against the installed copy (no AUTOREC_LIB, no PYTHONPATH), the CLI tests on the build
# tree's tool. Usage: ci/python.sh [BUILD_DIR] (default build).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
PY=${AUTOREC_PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d /tmp/autorec-python-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
git clone --quiet --no-hardlinks "$ROOT" "$tmp/src"
"$PY" -m venv --system-site-packages "$tmp/venv"
t0=$(date +%s)
"$tmp/venv/bin/pip" install --quiet --disable-pip-version-check "$tmp/src/python"
echo "ci/python.sh: pip install ./python from a clean clone: $(( $(date +%s) - t0 )) s"
cd "$tmp"  # not the clone: `import autorec_cl` must find the installed package
env -u AUTOREC_LIB -u PYTHONPATH AUTOREC_CLI="$BUILD/autorec" "$tmp/venv/bin/python" -c '
import os, sys, autorec_cl
assert "site-packages" in autorec_cl.__file__, autorec_cl.__file__
assert os.path.exists(os.path.join(os.path.dirname(autorec_cl.__file__), "libautorec.so"))
print("ci/python.sh: autorec_cl", autorec_cl.__version__, "installed at",
      os.path.dirname(autorec_cl.__file__))'
env -u AUTOREC_LIB -u PYTHONPATH AUTOREC_CLI="$BUILD/autorec" \
    "$tmp/venv/bin/python" -m pytest -q -p no:cacheprovider "$tmp/src/python/tests"
