"""Where every artifact lives: the one place that builds artifact names.

params.yaml's `paths` section names each artifact DVC tracks (dvc.yaml reads the same keys with
${paths.*}); this module adds the names *inside* those folders, which only code reads: the parsed
file of each source, mlx-lm's split files, the export files. Nothing else in the project spells a
file name of an artifact.

    >>> paths = Paths(**{k: f"x/{k}" for k in Paths.model_fields}).under("/tmp/p")
    >>> str(paths.split_file("valid")), str(paths.report("train"))
    ('/tmp/p/x/dataset/valid.jsonl', '/tmp/p/x/reports/train.json')
"""
from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

SPLITS = ("train", "valid", "test")  # mlx-lm reads <split>.jsonl from its --data folder: "valid", not "val"

# parse writes one file per source into paths.parsed; generate, train and evaluate read them.
PARSED_FILES = {
    "docs": "docs.jsonl",
    "graphql_schema": "schema.graphql",
    "tools": "tools.json",
    "conversations": "conversations.jsonl",
    "seed_examples": "seeds.jsonl",
}


class Paths(BaseModel):
    """Every artifact path, from params.yaml's `paths` (no defaults here: params.yaml is the one copy)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    parsed: Path             # parse: a folder, one file per source (PARSED_FILES)
    generated: Path          # generate
    validated: Path          # validate: the examples kept
    rejected: Path           # validate: the examples set aside, each with its reasons
    coverage: Path           # validate: quota / produced / kept per category, and finer coverage
    validation_page: Path    # validate: the offline HTML report
    dataset: Path            # split: mlx-lm's --data folder (SPLITS)
    export: Path             # split: typed JSONL, OpenAI, Mistral, Hugging Face
    base_model: Path         # train
    adapter: Path            # train
    fused: Path              # train
    train_loss: Path         # train: DVC plot
    val_loss: Path           # train: DVC plot
    loss_plot: Path          # train: the same curves as an SVG image
    predictions: Path        # evaluate
    metrics: Path            # evaluate: base and tuned, every metric per category
    headline: Path           # evaluate: the few figures `dvc metrics` and `dvc exp show` compare
    reports: Path            # each stage's report: <reports>/<stage>.json
    failures: Path           # a failed stage's report; not a DVC out, so that it survives the failure
    teacher_cache: Path      # teacher answers by request hash; not a DVC out, kept across runs
    train_checkpoints: Path  # resumable training state; not a DVC out (DVC deletes outs before a run)
    model_cache: Path        # downloaded model files and the models converted from them; not a DVC out

    def under(self, root: Path | str) -> "Paths":
        """The same layout with every relative path placed under `root` (a project directory)."""
        return self.model_copy(update={k: Path(root) / v for k, v in self if not Path(v).is_absolute()})

    def report(self, stage: str) -> Path:
        return self.reports / f"{stage}.json"

    def eval_report(self, name: str) -> Path:
        """What `python -m tasks.evaluate --eval-set FILE` writes (not a DVC out)."""
        return self.reports / f"eval-{name}.json"

    def failure_report(self, stage: str) -> Path:
        return self.failures / f"{stage}.json"

    def failure_page(self, stage: str) -> Path:
        return self.failures / f"{stage}.html"

    def parsed_file(self, source: str) -> Path:
        return self.parsed / PARSED_FILES[source]

    def split_file(self, split: str) -> Path:
        return self.dataset / f"{split}.jsonl"

    # --- inside paths.export (written by split as one set) ---
    def typed_export(self) -> Path:
        return self.export / "training_data.jsonl"

    def openai_file(self, split: str) -> Path:
        return self.export / "openai" / f"{split}.jsonl"

    def mistral_file(self, split: str) -> Path:
        return self.export / "mistral" / f"{split}.jsonl"

    def hf_dir(self) -> Path:
        return self.export / "hf"

    # --- inside the model folders (mlx-lm's names for an adapter; ours for the base's record) ---
    def adapter_weights(self, folder: Path | None = None) -> Path:
        return (folder or self.adapter) / "adapters.safetensors"

    def adapter_config(self, folder: Path | None = None) -> Path:
        return (folder or self.adapter) / "adapter_config.json"

    def model_card(self) -> Path:
        """The card beside the adapter (evaluate writes it: it holds the figures)."""
        return self.adapter / "README.md"

    @staticmethod
    def adapter_template(folder: Path) -> Path:
        """The chat template the adapter was trained through (tasks/chat_format.training_template)."""
        return Path(folder) / "chat_template.jinja"

    @staticmethod
    def lora_gguf(fused: Path) -> Path:
        """The adapter as llama.cpp's LoRA GGUF (train.export.lora_gguf), in paths.fused."""
        return Path(fused) / "adapter.gguf"

    @staticmethod
    def base_record(folder: Path) -> Path:
        """What train knows of the base model in `folder`: built (tiny, with its config) or external."""
        return folder / "tunesmith_base.json"
