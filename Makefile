# The two commands: `make run` (serve the app with demo data) and `make test` (the whole suite).
.PHONY: run test setup lint ci screenshot

run:  ## install if needed, prepare the database and serve on http://127.0.0.1:5000
	@sh scripts/run.sh

test:  ## install if needed, then run every test (unit, integration, browser) in parallel
	@sh scripts/test.sh

setup:  ## only create .venv and install the project with its development tools
	@sh scripts/setup.sh

lint:  ## ruff
	@sh scripts/setup.sh && .venv/bin/ruff check . && .venv/bin/ruff format --check .

ci:  ## what CI runs: make test, the suite on PostgreSQL, migration drift, ruff
	@bash .ci/run

screenshot:  ## regenerate docs/screenshot.png
	@sh scripts/setup.sh && .venv/bin/python scripts/screenshot.py
