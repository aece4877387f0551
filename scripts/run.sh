#!/bin/sh
# `make run`: install, create or upgrade the database, load demo data, make the first admin,
# and serve the web app on http://127.0.0.1:5000 (development mode: cookies work over http).
set -eu
. "$(dirname -- "$0")/common.sh"
ensure_venv
cd "$ROOT"

CRM="$VENV/bin/crm"
CRM_ENV=${CRM_ENV:-development}
export CRM_ENV
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-5000}
ADMIN_EMAIL=admin@example.com

say "Creating or upgrading the database (crm init)"
"$CRM" init

state=$("$PY" scripts/db_state.py)          # "ADMINS PROFILES"
admins=${state% *}
profiles=${state#* }

if [ "$profiles" = 0 ]; then
    say "Loading the demo data set (crm demo)"
    "$CRM" demo >/dev/null
else
    say "The database already holds $profiles profiles: demo data not loaded again"
fi

password=
if [ "$admins" = 0 ]; then
    password=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(12))')
    say "Creating the first admin user ($ADMIN_EMAIL)"
    if ! printf '%s\n' "$password" |
        "$CRM" create-user "$ADMIN_EMAIL" --role admin --name Admin --password-stdin >/dev/null; then
        password=
        say "No admin was created; make one with: .venv/bin/crm create-user EMAIL --role admin"
    fi
fi

echo
echo "  CRM is starting at http://$HOST:$PORT/"
if [ -n "$password" ]; then
    echo "  Sign in as $ADMIN_EMAIL with password: $password"
    echo "  (shown only this once; change it at /account)"
else
    echo "  Sign in with your admin account (the first run printed admin@example.com's password)."
    echo "  To start over with a fresh database: rm instance/crm.sqlite* and run make run again."
fi
echo "  Stop with Ctrl+C."
echo
exec "$CRM" serve --host "$HOST" --port "$PORT"
