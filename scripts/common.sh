# Shared helpers for scripts/*.sh: find Python 3.11+, keep .venv in step with pyproject.toml.
# Sourced, not executed.

ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
STAMP="$VENV/.crm-installed"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

# A Python interpreter of version 3.11 or later, or nothing.
find_python() {
    for candidate in python3.13 python3.12 python3.11 python3 python; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

# Create .venv when missing; reinstall the project only when pyproject.toml changed.
ensure_venv() {
    if [ ! -x "$PY" ] || ! "$PY" -m pip --version >/dev/null 2>&1; then
        python=$(find_python) || die "Python 3.11 or later is needed (e.g. apt-get install python3)."
        say "Creating .venv with $("$python" --version 2>&1)"
        rm -rf "$VENV"
        if ! "$python" -m venv "$VENV" >/dev/null 2>&1; then
            rm -rf "$VENV"
            if is_root && command -v apt-get >/dev/null 2>&1; then
                say "Installing python3-venv (apt-get)"
                apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null ||
                    die "apt-get install python3-venv failed."
                "$python" -m venv "$VENV" || die "Could not create .venv."
            else
                die "Could not create .venv: install the venv module (Debian/Ubuntu: sudo apt-get install python3-venv)."
            fi
        fi
    fi
    want=$(cksum < "$ROOT/pyproject.toml")
    if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want" ]; then
        say "Installing the project and its development tools into .venv (pip install -e .[dev])"
        (cd "$ROOT" && "$PY" -m pip install --quiet --disable-pip-version-check -e '.[dev]') ||
            die "pip install failed."
        printf '%s\n' "$want" > "$STAMP"
    fi
}
