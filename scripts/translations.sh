#!/usr/bin/env bash
# Manage the UI translations (Flask-Babel catalogs under crm/translations).
#
#   bash scripts/translations.sh extract   # rebuild crm/translations/messages.pot from the code
#   bash scripts/translations.sh update    # extract, then merge new/removed strings into every .po
#   bash scripts/translations.sh compile   # build the .mo files the app loads (they are committed)
#
# After `update`, translate every empty msgstr in crm/translations/<lang>/LC_MESSAGES/messages.po,
# then run `compile` and commit both the .po and the .mo. tests/integration/test_i18n.py fails
# while a string is untranslated, fuzzy or not compiled.
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
PYBABEL="$ROOT/.venv/bin/pybabel"
POT=crm/translations/messages.pot
DIR=crm/translations

cd "$ROOT"
[ -x "$PYBABEL" ] || { echo "error: $PYBABEL not found; run scripts/setup.sh first." >&2; exit 1; }

extract() {
    "$PYBABEL" extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --no-location --sort-output \
        -o "$POT" crm
}

update() {
    extract
    "$PYBABEL" update -i "$POT" -d "$DIR" --no-fuzzy-matching --ignore-pot-creation-date
}

compile() {
    "$PYBABEL" compile -d "$DIR" --statistics
}

case "${1:-}" in
    extract) extract ;;
    update) update ;;
    compile) compile ;;
    *)
        echo "usage: $0 {extract|update|compile}" >&2
        exit 2
        ;;
esac
