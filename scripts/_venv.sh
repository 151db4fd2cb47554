# Sourced by scripts/demo and scripts/test: make sure ./.venv exists and holds provenance.
# $1: the pip extras to install, e.g. "" or "[test]".
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="${PROVENANCE_VENV:-$ROOT/.venv}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "provenance needs Python 3.11 or newer; $PYTHON is $("$PYTHON" --version 2>&1)" >&2
    exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
    echo "creating the virtual environment $VENV"
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet --editable "$ROOT${1:-}"
export PATH="$VENV/bin:$PATH"
