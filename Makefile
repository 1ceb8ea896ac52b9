# The contract: README and .ci/run call these targets. Everything installs into ./.venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Cargo profile of the wheel: `ci` = optimized without fat LTO (fast to build); `release` for publishing.
PROFILE ?= ci
OUT    ?= demo-out

.PHONY: setup install dev demo test test-rust test-py lint bench bench-rust bench-py bench-peers clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

setup: $(BIN)/python
	$(BIN)/pip install --quiet "maturin>=1.9,<2" numpy pyarrow polars duckdb typer rich pydantic plotly \
		pytest pytest-benchmark hypothesis ruff mypy xgboost-cpu scikit-learn hmmlearn

# Build the wheel and pip-install it (what users get).
install: setup
	rm -rf dist
	$(BIN)/maturin build --quiet --profile $(PROFILE) --out dist
	$(BIN)/pip install --quiet --force-reinstall --no-deps dist/crossbook-*.whl

# Editable install for development: python/ is used in place; rebuild after Rust changes.
dev: setup
	$(BIN)/maturin develop --profile $(PROFILE)

demo: install
	$(BIN)/crossbook demo --out $(OUT)

test: install test-rust test-py

test-rust:
	cargo test -p crossbook-core --quiet

test-py:
	$(BIN)/python -m pytest -q

lint: setup
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	$(BIN)/ruff check python tests benches
	$(BIN)/ruff format --check python tests benches
	$(BIN)/python -m mypy.stubtest crossbook._core

bench: install bench-rust bench-py

bench-rust:
	cargo bench -p crossbook-benches

# Peer libraries of the Python benchmarks. hftbacktest 2.4.4 pins numpy < 2.3, so it gets its own venv
# (.venv/peers, used by benches/bench_backtest.py and tests/test_hftbacktest_convert.py); lead-lag goes in .venv.
bench-peers: setup
	test -x $(VENV)/peers/bin/python || $(PYTHON) -m venv $(VENV)/peers
	$(VENV)/peers/bin/pip install --quiet --upgrade pip
	$(VENV)/peers/bin/pip install --quiet "hftbacktest==2.4.4"
	$(BIN)/pip install --quiet cython wheel setuptools pandas
	$(BIN)/pip install --quiet --no-build-isolation lead-lag

bench-py: bench-peers
	$(BIN)/python benches/run_all.py

clean:
	rm -rf target dist $(VENV) $(OUT)
