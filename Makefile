# The two commands of the README: `make course` and `make test`. Both set up first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.setup-stamp
KERNEL := course-llm

# Offline by default: the tiny profile never needs the Hub (and must not wait for it).
export HF_HUB_OFFLINE ?= 1
export HF_DATASETS_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false
export HF_HUB_DISABLE_PROGRESS_BARS ?= 1

.PHONY: setup course lab lesson rehearse test test-unit test-notebooks test-rehearsal test-determinism test-latest bench bench-7b bench-quick lint format clean

setup: $(STAMP)  ## .venv with torch first (held by a constraint), the pins, course_utils, a kernel

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	grep -E '^torch==' requirements.txt > $(VENV)/torch-constraint.txt
	$(PY) -m pip install -q -r $(VENV)/torch-constraint.txt
	$(PY) -m pip install -q -r requirements.txt -c $(VENV)/torch-constraint.txt
	$(PY) -m pip install -q --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (LLM course)" >/dev/null
	@touch $(STAMP)
	@echo "setup done: $(VENV)"

course: setup  ## every notebook on the tiny profile, two at a time (runner --jobs 1: one at a time) -> outputs/course/
	$(PY) -m course_utils.runner

lab: setup  ## JupyterLab with the course kernel, offline; prepared lessons are in lessons/ (make lesson N=02)
	$(PY) -m course_utils.lesson --lab

lesson: setup  ## make lesson N=02 [SOLUTIONS=1]: that notebook with the tiny profile injected, not executed -> lessons/
	@test -n "$(N)" || { echo "usage: make lesson N=02  (the start of a notebook's name; SOLUTIONS=1 fills in the exercises)"; exit 2; }
	@$(PY) -m course_utils.lesson "$(N)" $(if $(SOLUTIONS),--solutions)

rehearse: setup  ## every notebook on its Colab defaults: random-weight real architectures, stand-in datasets -> outputs/rehearsal/
	$(PY) -m course_utils.runner --profile rehearsal

test: setup  ## lint, unit tests, then every notebook executed and its metrics asserted
	$(PY) -m ruff check .
	$(PY) -m pytest

bench: setup  ## memory and speed per method (QLoRA stock and lean among them) on bloomz-560m's shape, sequence 128 and 512 -> outputs/bench*/
	$(PY) benchmarks/bench_memory.py --seq-len 128
	$(PY) benchmarks/bench_memory.py --seq-len 512 --out outputs/bench512

bench-7b: setup  ## QLoRA stock vs lean on bloom-7b1's shape: random weights (14 GB, bfloat16) written once to .cache/bench; about 15 minutes on 2 cores
	$(PY) benchmarks/bench_memory.py --config data/configs/bloom-7b1 --methods qlora,qlora_lean --seq-len 256 --steps 1 \
		--weights-dtype bfloat16 --cache .cache/bench --out outputs/bench-7b

bench-quick: setup  ## the same on a ~70 M parameter Bloom, about a minute
	$(PY) benchmarks/bench_memory.py --quick

test-unit: setup
	$(PY) -m pytest tests/unit

test-notebooks: setup
	$(PY) -m pytest tests/notebooks

test-rehearsal: setup
	$(PY) -m pytest tests/rehearsal

test-latest:  ## the newest transformers, peft, trl, bitsandbytes, accelerate, datasets in .venv-latest: unit tests and two notebooks
	python3 scripts/test_latest.py

test-determinism: setup  ## every notebook run twice and compared by nbval (make test compares two of them)
	DETERMINISM_NOTEBOOKS=all $(PY) -m pytest tests/notebooks/test_determinism.py

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check course_utils tests scripts benchmarks

format: setup
	$(PY) -m ruff check --fix .
	$(PY) -m nbstripout --keep-id notebooks/*.ipynb

clean:
	rm -rf outputs .cache .pytest_cache .ruff_cache
