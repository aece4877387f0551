#!/bin/sh
# Create .venv and install the project with its development tools (only when needed).
set -eu
. "$(dirname -- "$0")/common.sh"
ensure_venv
