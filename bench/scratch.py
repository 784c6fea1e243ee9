"""A scratch copy of the project's params for benchmarks that run stages themselves (`python -m
tasks.<stage> --params ...`): every artifact goes under a scratch folder, except the inputs those
stages read from the project as it stands after `make run` (the dataset, the parsed sources and
the downloaded models)."""
from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
INPUTS = ("dataset", "parsed", "model_cache")


def scratch_params(out: Path, **sections) -> Path:
    """Write `out`/params.yaml: the project's params with the given sections replaced (typed models,
    e.g. train=...), paths under `out` but for INPUTS. Returns its path."""
    from tasks.core.config import load_params

    p = load_params(ROOT / "params.yaml")
    paths = p.paths.under(out).model_copy(update={k: ROOT / getattr(p.paths, k) for k in INPUTS})
    config = p.model_copy(update={**sections, "paths": paths})
    (Path(out) / "params.yaml").write_text(yaml.safe_dump(config.model_dump(mode="json", by_alias=True)))
    return Path(out) / "params.yaml"
