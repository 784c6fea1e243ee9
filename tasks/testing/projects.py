"""A scratch copy of the project for a test or a benchmark: the project's files in a fresh git
repo, params edited, commands run in the project's environment with everything offline."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import yaml

from tasks.core.offline import OFFLINE_ENV

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the project environment's bin (the tests run in it)
STAGES = list(yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"])  # in dvc.yaml's order, which is the DAG's


# Small enough that a whole pipeline run takes about a minute on 2 cores.
TINY_PARAMS = {
    "generate": {"quotas": {"qa": 30, "text-to-graphql": 60, "tool_use": 40, "conversation": 20}},
    "train": {"base_model": "tiny", "stages": [{"name": "all", "iters": 10, "learning_rate": 5.0e-4}], "checkpoint_every": 5,
              "batch_size": 4, "lora_rank": 8, "lora_layers": None, "steps_per_eval": 5, "steps_per_report": 5, "val_batches": 2,
              "tiny": {"vocab_size": 600, "hidden_size": 64, "num_layers": 2, "num_heads": 2, "intermediate_size": 128,
                       "pretrain_iters": 4}},
    "evaluate": {"max_examples_per_category": 2, "max_new_tokens": 24},
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def project_env() -> dict:
    return {**os.environ, **OFFLINE_ENV, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def run(cmd: list[str], cwd: Path, check: bool = True, timeout: int = 900) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, cwd=cwd, env=project_env(), capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    return result


def deep_update(base: dict, changes: dict) -> dict:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            deep_update(base[key], value)
        else:
            base[key] = value
    return base


def edit_params(project: Path, changes: dict) -> None:
    path = project / "params.yaml"
    params = yaml.safe_load(path.read_text())
    path.write_text(yaml.safe_dump(deep_update(params, changes), sort_keys=False))


def copy_project(dest: Path) -> Path:
    """The project's files (tracked and new, not ignored) in a fresh git repo at `dest`."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for rel in filter(None, listed.split("\0")):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    edit_params(dest, {"python": sys.executable})  # the copy has no .venv of its own
    template = ROOT / ".dvc/plots/offline.html"  # made by `make setup`, git-ignored: `dvc plots show` needs it
    if template.exists():
        (dest / ".dvc/plots").mkdir(parents=True, exist_ok=True)
        shutil.copy2(template, dest / ".dvc/plots/offline.html")
    git = ["git", "-c", "user.name=tunesmith-test", "-c", "user.email=test@localhost"]
    run(git[:1] + ["init", "-q"], dest)
    run(git + ["add", "-A"], dest)
    run(git + ["commit", "-qm", "project copy"], dest)
    return dest


def tmp_paths(root: Path):
    """The artifact layout of params.yaml, under `root` (tasks/core/layout.py names everything inside)."""
    from tasks.core.config import load_params

    return load_params(ROOT / "params.yaml").paths.under(root)


def project_paths(project: Path):
    """The artifact layout of a project copy, as its own params.yaml says."""
    from tasks.core.config import load_params

    return load_params(project / "params.yaml").paths.under(project)


EXAMPLE = ROOT / "examples" / "filebox"


def example_sources(**overrides):
    """The bundled example's sources, with any of them replaced."""
    from tasks.core.config import load_params

    sources = load_params(ROOT / "params.yaml").sources
    return sources.model_copy(update={**{k: ROOT / v for k, v in sources if v is not None}, **overrides})


def only_sources(**given):
    """Sources with just the ones given; every other source is null."""
    from tasks.core.config import Sources

    return Sources(**{**{k: None for k in Sources.model_fields}, **given})
