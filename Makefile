# Two set-up commands: `make run` and `make test` (and `make bench`).
# Each creates the virtual environment on first use and reinstalls when
# pyproject.toml changes.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench bundle installer-check clean lock mutate dist deb-check manual

# Every dependency from the lock, each file's hash checked (requirements/<platform>/dev.lock, made by `make lock`):
# two installs a week apart get the same packages (#27). Then the program itself, editable.
LOCK   := requirements/linux-py311/dev.lock

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# PySide6-Pdf (6.12 only) would pull the 6.12 Essentials that crash on Python 3.11 back in.
	-$(BIN)/pip uninstall --quiet --yes PySide6-Pdf 2>/dev/null
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# Refresh the locks from the environment the tests ran in (after changing a dependency in pyproject.toml),
# and THIRD-PARTY-NOTICES from them.
lock: $(STAMP)
	$(BIN)/python installer/lock.py
	$(BIN)/python installer/notices.py

run: $(STAMP)
	$(BIN)/station

# Every test runs on a frozen day, a January (tests/conftest.py); the tests that read dates run again in a
# later year, so that no test passes only on the day it was written (#14).
DATE_TESTS := tests/test_demands.py tests/test_district_evaluations.py tests/test_points.py tests/test_reports_rewards.py \
              tests/test_rules.py tests/test_teams_activities.py tests/test_volunteers.py tests/test_excel.py tests/test_demo.py \
              tests/test_hours_figure.py tests/test_ui_forms.py tests/test_ui_small_things.py tests/test_ui_print.py \
              tests/test_ui_notices.py tests/test_district_scope.py tests/test_district_security.py tests/test_district_monday.py

test: $(STAMP)
	$(BIN)/ruff check app signin ui sync bench tests installer
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo
	$(BIN)/vulture app signin sync ui bench tests installer .ci/vulture_allow.py --min-confidence 60 --exclude '*/migrations/*'
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -n 2 --dist loadfile
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -n 2 --dist loadfile --today 2031-07-15 $(DATE_TESTS)

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench

# The 使用手册 the program ships (resources/manual/manual.pdf), its pictures taken from the running program (offscreen).
# Run after changing a page the manual shows; tests/test_manual.py says when its words are out of date.
manual: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/station manual

# Mutation testing of the critical modules (tests/mutation.py; minutes, before a release): the score and every survivor.
mutate: $(STAMP)
	$(BIN)/pip install --quiet 'mutmut==3.8.1'
	$(BIN)/python tests/mutation.py $(GROUPS)

# The Linux one-folder bundle at dist/station/, then its selftest offscreen and its size.
# (The Windows bundle and installer are built on Windows: see README.)
bundle: $(STAMP)
	$(BIN)/pip install --quiet 'pyinstaller>=6.5'
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller installer/station.spec
	QT_QPA_PLATFORM=offscreen dist/station/station selftest
	@du -sh dist/station | awk '{print "bundle size: " $$1}'

# The Windows installer's logic, for real: stock Inno Setup 6 (npm package innosetup) compiles installer/station.iss,
# wine (in a minimal bookworm chroot, made once at INSTALLER_CHROOT) installs it silently, upgrades it and
# uninstalls it, with the Linux bundle under the Windows names (installer/check.py; needs root). A release step.
INSTALLER_CHROOT ?= /var/tmp/station-wine
installer-check:
	@test -x dist/station/station || $(MAKE) bundle
	$(PYTHON) installer/check.py --chroot $(INSTALLER_CHROOT)

# The release artifacts, from the files git tracks, named with pyproject.toml's version (#27): in dist/, the wheel and
# the sdist, and the Debian packages station-district_<version>_amd64.deb (the district server, no Qt) and
# station-desktop_<version>_amd64.deb, built by debhelper from installer/linux/debian (each a venv under /opt from
# the hash-checked lock, pip --no-index from a wheelhouse), then checked by lintian (installer/linux/build_deb.py).
# Needs Debian 12: apt-get install python3.11-venv debhelper lintian.
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
dist:
	$(PYTHON) installer/linux/build_deb.py --out dist

# The packages for real in a minimal Debian 12 root (debootstrap, kept at DEB_CHECK_CACHE; needs root): installed with
# dpkg -i, the manual's steps, the server as its unit starts it, an upgrade from this tree built as 0.2.99 (built once
# into build/deb-check), remove and purge (installer/linux/check_deb.py). A release step: see installer/README.md.
DEB_CHECK_CACHE ?= /var/tmp/station-deb
deb-check:
	@test -f dist/station-district_$(VERSION)_amd64.deb -a -f dist/station-desktop_$(VERSION)_amd64.deb || $(MAKE) dist
	@test -f build/deb-check/station-district_0.2.99_amd64.deb -a -f build/deb-check/station-desktop_0.2.99_amd64.deb \
		|| $(PYTHON) installer/linux/build_deb.py --version 0.2.99 --out build/deb-check --no-lintian
	$(PYTHON) installer/linux/check_deb.py --cache $(DEB_CHECK_CACHE) --old build/deb-check --new dist

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
