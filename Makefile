# Two set-up commands: `make run` and `make test` (and `make bench`).
# Each creates the virtual environment on first use and reinstalls when
# pyproject.toml changes.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench bundle clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# PySide6-Pdf (6.12 only) would pull the 6.12 Essentials that crash on Python 3.11 back in.
	-$(BIN)/pip uninstall --quiet --yes PySide6-Pdf 2>/dev/null
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/station

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench

# The Linux one-folder bundle at dist/station/, then its selftest offscreen and its size.
# (The Windows bundle and installer are built on Windows: see README.)
bundle: $(STAMP)
	$(BIN)/pip install --quiet 'pyinstaller>=6.5'
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller installer/station.spec
	QT_QPA_PLATFORM=offscreen dist/station/station selftest
	@du -sh dist/station | awk '{print "bundle size: " $$1}'

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
