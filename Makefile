# Firstline: `make run` sets everything up and starts it; `make test` sets up and checks everything.
# uv from PATH, else the uv package run by Python (installed for the user on first use), so that a
# fresh machine needs only Python 3.11+.
UV ?= $(or $(shell command -v uv 2>/dev/null),python3 -m uv)
PACKAGES := core accounts admin billing bots broadcasts channels conversations flows knowledge_base
BABEL_KEYWORDS := -k N_ -k Phrase -k InvalidInput -k InvalidJson -k Conflict -k AlreadyTaken -k NotFound -k Forbidden -k CsrfFailed \
	-k Unauthenticated -k RateLimited -k QuotaExceeded -k DomainError -k UnsupportedType -k PayloadTooLarge \
	-k DeliveryFailed -k OriginNotAllowed -k IdentityInvalid

.PHONY: run test uv-available sync sync-dev lint types layers pytest messages

# `make run TELEGRAM=sandbox` also starts a sandbox Telegram (the fake Bot API with a chat page) on
# port 8081 and points Firstline at it: try the Telegram channel with no real bot.
run: sync
ifeq ($(TELEGRAM),sandbox)
	$(UV) run --frozen --no-sync python -m tests.fakes.telegram_server --port 8081 & sandbox=$$!; \
	trap "kill $$sandbox" EXIT INT TERM; \
	FIRSTLINE_TELEGRAM_API_URL=http://127.0.0.1:8081 $(UV) run --frozen --no-sync firstline demo
else
	$(UV) run --frozen --no-sync firstline demo
endif

test: sync-dev lint types layers pytest

uv-available:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --user --quiet uv \
		|| python3 -m pip install --user --quiet --break-system-packages uv

# Byte-compile dependencies at install: with PYTHONDONTWRITEBYTECODE set (as on some machines), every
# start would otherwise recompile them all (seconds per process).
sync: uv-available
	$(UV) sync --frozen --no-dev --inexact --compile-bytecode

sync-dev: uv-available
	$(UV) sync --frozen --compile-bytecode

lint:
	$(UV) run --frozen --no-sync ruff check .
	$(UV) run --frozen --no-sync ruff format --check .

types:
	$(UV) run --frozen --no-sync mypy

layers:
	$(UV) run --frozen --no-sync lint-imports

pytest:
	$(UV) run --frozen --no-sync pytest

# Re-extract interface strings and merge them into the Russian catalog (then translate the new ones).
messages:
	$(UV) run --frozen --no-sync pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --no-location --sort-output \
		-o core/locale/messages.pot $(PACKAGES)
	$(UV) run --frozen --no-sync pybabel update -i core/locale/messages.pot -d core/locale -l ru --no-fuzzy-matching
