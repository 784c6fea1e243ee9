"""Typed view of params.yaml: the one config.

Loaded once at each entry point; each stage receives its own section (and `Paths`, from
tasks/core/layout.py), never the whole tree. `extra="forbid"` makes a misspelt key fail loudly. Every
default here equals the value in params.yaml (tests/test_contract.py checks it), so a section
built in code, as the tests and benchmarks do, behaves as the shipped config.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tasks.core.layout import Paths

Category = Literal["qa", "text-to-graphql", "tool_use", "conversation"]
CATEGORIES: tuple[str, ...] = get_args(Category)  # the four categories, in the order reports list them


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sources(_Frozen):
    """User inputs, each named in params.yaml: a path, or null when the product has none (its
    generator is then skipped)."""

    docs: Path | None
    graphql_schema: Path | None
    tools: Path | None
    conversations: Path | None
    seed_examples: Path | None
    eval_set: Path | None  # the golden set: hand-written, read by evaluate only (tasks/evaluation/golden.py)


class ParseParams(_Frozen):
    max_chunk_chars: int = Field(1500, gt=100)
    doc_suffixes: tuple[str, ...] = (".md", ".markdown", ".txt")  # other files in the docs folder are skipped and counted


class Price(_Frozen):
    input: float = Field(ge=0)   # USD per million prompt tokens
    output: float = Field(ge=0)  # USD per million completion tokens


JUDGE_RUBRIC = ("faithfulness to the source (nothing added, nothing lost), relevance (about what the source is "
                "about) and clarity (a person would write it this way)")


class JudgeParams(_Frozen):
    rubric: str = JUDGE_RUBRIC          # what the teacher scores each candidate on, 1 to 10
    threshold: int = Field(6, ge=1, le=10)  # below it, a candidate is rejected with its score


class TeacherParams(_Frozen):
    """An OpenAI-compatible chat endpoint (or several) that paraphrases requests and writes QA from
    doc chunks; how it is asked: tasks/teacher/client.py."""

    base_url: str | list[str]            # e.g. http://127.0.0.1:8080/v1; a list spreads requests across servers
    model: str
    api_key_env: str | None = None       # the name of an environment variable holding the key, never the key
    paraphrases: int = Field(100, ge=0)  # NL->GraphQL requests to paraphrase (the first N, in order)
    qa_chunks: int = Field(50, ge=0)     # doc chunks to ask for one question each
    tool_dialogues: int = Field(0, ge=0)  # tool-use dialogues whose words to rewrite (calls unchanged)
    max_tokens: int = Field(256, gt=0)
    timeout_s: float = Field(120.0, gt=0)
    retries: int = Field(4, ge=0)        # tries after the first, for transient failures only
    concurrency: int = Field(4, ge=1)    # requests in flight at once
    rpm: float | None = Field(None, gt=0)  # request starts a minute, at most
    tpm: float | None = Field(None, gt=0)  # tokens a minute, at most (from the answers' usage)
    price: Price | None = None           # USD per million tokens; null: cost is not counted
    max_budget_usd: float | None = Field(None, gt=0)  # a hard stop: no request starts that could pass it
    max_total_tokens: int | None = Field(None, gt=0)  # the same, in tokens
    structured: Literal["json_schema", "json_object", "none"] = "json_schema"  # how a JSON answer is asked for
    parse_retries: int = Field(2, ge=0)  # asks again, the parse error fed back, when an answer is not the JSON asked for
    judge: JudgeParams | None = None     # null: no judge; else every teacher-made example is scored and filtered
    max_attempts: int = Field(3, ge=1)   # requests per example wanted, at most: backfill stops there

    @model_validator(mode="after")
    def _budget_needs_price(self):
        if self.max_budget_usd is not None and self.price is None:
            raise ValueError("max_budget_usd needs price (USD per million input and output tokens)")
        if isinstance(self.base_url, list) and not self.base_url:
            raise ValueError("base_url: give at least one endpoint")
        return self


class SkillParams(_Frozen):
    """A category the teacher writes whole: dialogues for one skill of the product, as the Synthia
    seed's category prompts did (tasks/generators/skills.py)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")  # how reports and the coverage table name it
    description: str | None = None       # what the skill is: what users ask, what the assistant does
    spec: Path | None = None             # or a text/markdown file that says it (read by generate)
    quota: int = Field(gt=0)             # dialogues wanted, counted after validation and the judge
    topics: dict[str, Annotated[int, Field(gt=0)]] = {}  # sub-topic -> its share of the quota
    tools: list[str] = []                # tools (by name, from sources.tools) its dialogues may call
    max_tokens: int = Field(1024, gt=0)  # a whole dialogue is longer than teacher.max_tokens allows

    @model_validator(mode="after")
    def _said_once(self):
        if (self.description is None) == (self.spec is None):
            raise ValueError("give the skill a description or a spec file (one of them)")
        if sum(self.topics.values()) > self.quota:
            raise ValueError(f"the topics' quotas add up to {sum(self.topics.values())}, more than quota {self.quota}")
        return self


class GenerateParams(_Frozen):
    seed: int = 0
    product: str | None  # null: the docs' top-level title (tasks/generate.py: product_name)
    reference_date: dt.date
    min_rating: int = Field(4, ge=1, le=5)
    quotas: dict[Category, Annotated[int, Field(ge=0)]]
    max_repeats: int = Field(1000, gt=0)  # a generator gives up after this many draws in a row that repeat an earlier example
    teacher: TeacherParams | None = None
    skills: list[SkillParams] = []       # teacher-written categories; skipped (and said so) without a teacher

    @model_validator(mode="after")
    def _skills_named_once(self):
        names = [s.name for s in self.skills]
        if len(set(names)) < len(names):
            raise ValueError(f"skills: a name is used twice ({', '.join(sorted({n for n in names if names.count(n) > 1}))})")
        return self


class ValidateParams(_Frozen):
    suites: Path  # a folder of GX suites (JSON); the thresholds live in them, reviewed like code
    near_dup_threshold: float = Field(0.9, gt=0, le=1)  # Jaccard of word 3-grams of the whole example
    num_perm: int = Field(128, ge=16)                   # MinHash permutations


class SplitParams(_Frozen):
    seed: int = 0
    valid_fraction: float = Field(0.1, gt=0, lt=0.5)
    test_fraction: float = Field(0.1, gt=0, lt=0.5)
    near_dup_threshold: float = Field(0.7, gt=0, le=1)  # prompts this similar stay in one split
    num_perm: int = Field(128, ge=16)


class TinyModelParams(_Frozen):
    vocab_size: int = Field(2048, ge=300)
    hidden_size: int = 128
    num_layers: int = 2
    num_heads: int = 4
    intermediate_size: int = 512
    pretrain_iters: int = Field(400, ge=0)  # 0: no pre-training pass, the base stays random
    pretrain_learning_rate: float = Field(1.0e-3, gt=0)


class CurriculumStage(_Frozen):
    """One stage of training: which categories, how long, how fast."""

    name: str
    categories: list[Category] | None = None  # None: every category
    # Of these categories, only this share of their train rows (a seeded draw): a category an
    # earlier stage taught is replayed, not relearnt, while the others get the steps.
    mix: dict[Category, Annotated[float, Field(gt=0, le=1)]] = {}
    iters: int = Field(gt=0)
    learning_rate: float = Field(gt=0)


class ExportParams(_Frozen):
    fused: bool = False  # base + adapter merged into one mlx-lm model in paths.fused
    gguf: bool = False   # also a GGUF file there (mlx-lm supports llama, mistral, mixtral); implies fused
    lora_gguf: bool = True  # the adapter alone as llama.cpp's LoRA GGUF, paths.fused/adapter.gguf (Llama bases)


class DistributedParams(_Frozen):
    ranks: int = Field(1, gt=0)    # processes on this host (mlx.launch -n); 1: train in the stage's own process
    hostfile: Path | None = None   # an mlx.launch hostfile: one rank per host listed (docs/distributed.md)
    backend: Literal["ring", "mpi", "nccl"] = "ring"  # ring: TCP, CPUs included; nccl: CUDA GPUs

    @model_validator(mode="after")
    def _one_way(self) -> "DistributedParams":
        if self.hostfile is not None and self.ranks != 1:
            raise ValueError("set train.distributed.ranks (ranks on this host) or .hostfile (one rank per host "
                             "listed), not both")
        return self

    @property
    def launched(self) -> bool:
        return self.ranks > 1 or self.hostfile is not None


class TrainParams(_Frozen):
    base_model: str = "smollm2-135m-instruct"  # or "tiny" (built here), or an mlx-lm folder
    seed: int = 0
    tiny: TinyModelParams = TinyModelParams()
    stages: list[CurriculumStage] = Field(min_length=1)  # each continues from the previous adapter
    checkpoint_every: int = Field(50, gt=0)              # iterations between resumable checkpoints
    export: ExportParams = ExportParams()
    batch_size: int = Field(8, gt=0)
    pad_multiple: int = Field(8, gt=0)  # rows are padded to a multiple of this (mlx-lm's own: 32)
    lora_rank: int = Field(8, gt=0)
    lora_layers: int | None = Field(16, gt=0)  # None: every layer; N: the top N (backward stops there: cheaper)
    lora_scale: float = 20.0
    max_seq_length: int = Field(1024, gt=16)
    mask_prompt: bool = True
    steps_per_report: int = Field(10, gt=0)
    steps_per_eval: int = Field(120, gt=0)
    val_batches: int = 4
    distributed: DistributedParams = DistributedParams()  # data-parallel ranks (tasks/tuner/ranks.py)


class EvaluateParams(_Frozen):
    max_examples_per_category: int = Field(40, gt=0)  # of the test split, and of the golden set
    max_new_tokens: int = Field(128, gt=0)
    rag_k: int = Field(2, gt=0)  # doc chunks retrieved (BM25) into each QA prompt for the retrieval baseline


class Params(_Frozen):
    python: str = ".venv/bin/python"  # the interpreter each stage's cmd runs (dvc.yaml: ${python})
    paths: Paths
    sources: Sources
    parse: ParseParams
    generate: GenerateParams
    validate_: ValidateParams = Field(alias="validate")
    split: SplitParams
    train: TrainParams
    evaluate: EvaluateParams

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ParamsError(ValueError):
    """params.yaml is missing or does not match the schema; the message says where."""


def load_params(path: Path | str = "params.yaml") -> Params:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ParamsError(f"{path}: not found (run from the project root, or pass --params)") from None
    except yaml.YAMLError as e:
        raise ParamsError(f"{path}: not valid YAML: {e}") from None
    try:
        return Params.model_validate(raw)
    except ValidationError as e:
        lines = [f"{path}: {len(e.errors())} problem(s)"]
        for err in e.errors():
            where = ".".join(str(p) for p in err["loc"])
            lines.append(f"  {where}: {err['msg']} (got {err.get('input')!r})")
        raise ParamsError("\n".join(lines)) from None
