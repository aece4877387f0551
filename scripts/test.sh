#!/bin/sh
# `make test`: install, make sure a Chromium exists for the browser tests, run the whole suite
# in parallel. Extra arguments go to pytest (e.g. scripts/test.sh -k login).
set -eu
. "$(dirname -- "$0")/common.sh"
ensure_venv
cd "$ROOT"

# The browser tests use the system's chromium when there is one, else Playwright's own.
if command -v chromium >/dev/null 2>&1; then
    :
elif is_root && command -v apt-get >/dev/null 2>&1; then
    say "Installing chromium for the browser tests (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null ||
        die "apt-get install chromium failed."
else
    say "Downloading Playwright's Chromium for the browser tests"
    "$PY" -m playwright install chromium || die "playwright install chromium failed."
fi

say "Running the test suite (pytest -n auto)"
set +e
"$PY" -m pytest -n auto "$@"
status=$?
set -e
if [ "$status" = 5 ]; then
    die "pytest collected no tests."
fi
exit "$status"
