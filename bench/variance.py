"""How much the default run's metrics move, and why: the same params twice, then other seeds.

    make run                                        # builds the dataset and the base model's inputs first
    .venv/bin/python -m bench.variance              # seeds 0 1 2 of train.seed; ~25 min each here (SmolLM2)
    .venv/bin/python -m bench.variance --seeds 0    # only the repeat of the default run

Each run is the train and evaluate stages themselves (`python -m tasks.<stage>`), on the project's
dataset, with params.yaml's values but for train.seed, writing into a scratch folder. The run with
the seed params.yaml has is compared with the project's own models/ and reports/: the same params on
the same machine must give the same adapter, byte for byte, and the same metrics. The other seeds
change only the LoRA initialisation and the batch order: a small nudge, as a different CPU's float
rounding is, and their spread shows how far training carries such a nudge.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_seed(seed: int, out: Path) -> dict:
    """train and evaluate with train.seed = `seed`, every artifact in `out` (bench/scratch.py)."""
    from bench.scratch import scratch_params
    from tasks.core.config import load_params

    config = scratch_params(out, train=load_params(ROOT / "params.yaml").train.model_copy(update={"seed": seed}))
    for stage in ("train", "evaluate"):
        done = subprocess.run([sys.executable, "-m", f"tasks.{stage}", "--params", str(config)], cwd=ROOT,
                              capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"seed {seed}: {stage} failed:\n{done.stderr[-3000:]}")
    paths = load_params(config).paths
    return {"metrics": json.loads(paths.metrics.read_text())["tuned"], "adapter": paths.adapter_weights().read_bytes()}


def flat(metrics: dict) -> dict[str, float]:
    return {f"{cat}.{k}": v for cat, row in metrics.items() for k, v in row.items() if k not in ("n", "perplexity")}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.variance", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="train.seed values (default: 0 1 2)")
    args = parser.parse_args(argv)
    from tasks.core.config import load_params

    p = load_params(ROOT / "params.yaml")
    paths = p.paths.under(ROOT)
    if not paths.metrics.exists() or not paths.adapter_weights().exists():
        sys.exit("run `make run` first: the repeat is compared with the project's own run")
    results = {}
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as tmp:
            print(f"train.seed={seed} ...", file=sys.stderr, flush=True)
            results[seed] = run_seed(seed, Path(tmp))
    if p.train.seed in results:
        same = results[p.train.seed]
        identical = same["adapter"] == paths.adapter_weights().read_bytes()
        equal = same["metrics"] == json.loads(paths.metrics.read_text())["tuned"]
        print(f"same params as the project's run (train.seed={p.train.seed}): adapter byte-identical: {identical}; "
              f"metrics identical: {equal}")
    table = {s: flat(r["metrics"]) for s, r in results.items()}
    print("\n| tuned metric | " + " | ".join(f"seed {s}" for s in table) + " | spread (max - min) |")
    print("| --- | " + " | ".join("---:" for _ in table) + " | ---: |")
    for key in next(iter(table.values())):
        values = [row[key] for row in table.values()]
        print(f"| {key} | " + " | ".join(f"{v:.2f}" for v in values) + f" | {max(values) - min(values):.2f} |")


if __name__ == "__main__":
    main()
