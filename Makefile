# Mopidy-MTScrobble developer commands. `make run` and `make test` set up
# everything they need on a fresh Debian machine (run them as root there).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

LOCAL := $(CURDIR)/_local
VENV := $(LOCAL)/venv
PYTHON ?= python3
# The pinned stack that Debian 12/13 package as Mopidy 3.4, from PyPI.
MOPIDY3_PINS := "mopidy==3.4.2" "pygobject<3.51" "setuptools<81" "Mopidy-MPD==3.3.0"

# Give tox every pyenv Python 3.11-3.13 (pyenv's shims only answer for one).
PYENV_BINS := $(wildcard $(HOME)/.pyenv/versions/3.1[123].*/bin)
empty :=
space := $(empty) $(empty)
export PATH := $(subst $(space),:,$(strip $(PYENV_BINS) $(PATH)))

.PHONY: help system-run system-test venv demo-music run test test-mopidy4 test-debian lint bench chaos clean clean-cache

help:
	@echo "make run    start a real Mopidy with Mopidy-MTScrobble on 127.0.0.1:6680 (HTTP) and :6600 (MPD)"
	@echo "make test   run the whole test suite (Mopidy 3.4 and 4.0, Debian 12 and 13, lint) in stages side by side"
	@echo "make bench  run the benchmarks and print their numbers"
	@echo "make chaos  run the fault campaign: 20 seeds in simulated time, 3 with kill -9 of a real Mopidy"
	@echo "make lint   ruff check, ruff format --check and mypy (strict)"
	@echo "make clean  remove _local/ and .tox/ (make clean-cache: the cached Debian roots too)"

system-run:
	@scripts/bootstrap-system.sh run

system-test:
	@scripts/bootstrap-system.sh test

$(VENV)/.stamp: setup.cfg pyproject.toml Makefile
	@echo "Creating $(VENV)"
	@mkdir -p $(LOCAL)
	$(PYTHON) -m venv --clear $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q $(MOPIDY3_PINS) "tox>=4" -e ".[test,lint]"
	@touch $@

venv: system-run $(VENV)/.stamp

demo-music: venv
	@$(VENV)/bin/python scripts/make_demo_music.py $(LOCAL)/music

# With an API account in _local/secrets.conf: the real network. Without: the
# demo, against the fake Last.fm server on 127.0.0.1 (scripts/run_mopidy.py).
run: venv demo-music
	exec $(VENV)/bin/python scripts/run_mopidy.py

# Every stage side by side (scripts/test_stages.py): tox's environments and
# the Debian roots are made first (the roots once per recipe, in the cache
# outside the clone), then the stages run, three at a time, and a table says
# what each ran and how long it took.
test: system-test venv
	$(VENV)/bin/python scripts/test_stages.py

# Mopidy 4 needs GStreamer >= 1.26.2: a Debian 13 root (built once per recipe
# and cached outside the clone) runs tox's mopidy4 and e2e-mopidy4 environments.
# On a system that has GStreamer >= 1.26.2 and Python 3.13, `tox -e mopidy4`
# runs them directly.
test-mopidy4: system-test
	scripts/debian13.sh test

# Debian's own mopidy package as the system service, the extension installed the
# README's way, in clean Debian 12 and 13 roots (built once per recipe, cached
# outside the clone): see tests/debian. Needs root (debootstrap, chroot).
test-debian: system-test venv
	@if (( EUID != 0 )); then echo "The Debian systems' test needs root (debootstrap, chroot, mounts): run it as root." >&2; exit 1; fi
	MTSCROBBLE_DEBIAN_SYSTEMS=1 $(VENV)/bin/python -m pytest -p no:cacheprovider tests/debian

bench: venv
	$(VENV)/bin/python bench/bench_frontend.py
	$(VENV)/bin/python bench/bench_delivery.py
	$(VENV)/bin/python bench/bench_destinations.py
	$(VENV)/bin/python bench/bench_loved.py
	$(VENV)/bin/python bench/bench_sync.py
	$(VENV)/bin/python bench/bench_rematch.py
	$(VENV)/bin/python bench/bench_playcounts.py
	$(VENV)/bin/python bench/bench_recovery.py
	$(VENV)/bin/python bench/bench_charts.py
	$(VENV)/bin/python bench/bench_import_history.py
	$(VENV)/bin/python bench/bench_history.py

# The long fault campaign (make test runs one seed of each kind).
chaos: venv
	$(VENV)/bin/python -m tests.campaign --seeds 20
	MTSCROBBLE_KILL_SEEDS=3 MTSCROBBLE_KILL_PLAYS=20 \
	    $(VENV)/bin/python -m pytest -q -p no:cacheprovider tests/e2e/test_kill_campaign.py

lint: venv
	$(VENV)/bin/tox run -e lint

clean:
	rm -rf --one-file-system $(LOCAL) .tox

# The Debian roots of the tests, kept outside the clone: the next make test
# builds them anew.
CACHE := $(or $(MTSCROBBLE_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/mopidy-mtscrobble)
clean-cache:
	rm -rf --one-file-system $(CACHE)
