"""Data-parallel training on MLX's own distributed layer (`mlx.core.distributed`, `mlx.launch`).

With `train.distributed.ranks: N` (or a hostfile), the train stage prepares the base model once,
then starts N copies of itself, each with `--as-rank` (on this host as mlx.launch would, over
several hosts with mlx.launch): every rank loads the
same model and LoRA initialisation (same seed), walks the same batches in the same order, and
computes its share of each batch (rows rank, rank + N, ...); mlx-lm's trainer averages the
gradients over the ranks every step (`mlx.nn.average_gradients`). Rank 0 alone writes: the
checkpoints, the adapter, the loss curves, the exports and the result the stage reports.

The loss each rank returns is its rows' summed loss over the *whole* batch's target count / N,
so the average over the ranks is exactly the one-process mean over the whole batch, and so is
its gradient: the same global batch gives the same loss curve as one process, up to the order
of float additions (tests/tasks/test_train.py checks it).

A rank whose share of a batch is empty (a batch with fewer rows than ranks) computes a row with
no weight: its loss and gradient are zero, and it still joins the step's collective.
"""
from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tasks.core.config import DistributedParams


@dataclass(frozen=True)
class World:
    """This process's place among the ranks: (0, 1) when training runs in one process."""
    rank: int
    size: int

    @classmethod
    def current(cls) -> World:
        import mlx.core as mx

        group = mx.distributed.init()
        return cls(group.rank(), group.size())

    @property
    def main(self) -> bool:
        """The rank that writes (checkpoints, adapter, curves, report)."""
        return self.rank == 0

    def share(self, tree):
        """Rank 0's arrays on every rank (a sum in which the others add zeros), a tree of them in the
        order of their names: ranks pair their sums by order, and two ranks' trees may hold the same
        names in different orders (a restored optimizer state and a fresh one do). Each sum is
        computed at once: mlx computes lazily, and a rank could otherwise compute them later, in
        another order, or not at all."""
        import mlx.core as mx
        from mlx.utils import tree_flatten, tree_unflatten

        if self.size == 1:
            return tree

        def shared(x):
            out = mx.distributed.all_sum(x if self.main else mx.zeros_like(x), stream=mx.cpu)
            mx.eval(out)
            return out

        if isinstance(tree, mx.array):
            return shared(tree)
        return tree_unflatten([(name, shared(x)) for name, x in sorted(tree_flatten(tree), key=lambda item: item[0])])

    def share_json(self, value):
        """Rank 0's JSON-able value on every rank (its length first, then its bytes)."""
        import mlx.core as mx
        import numpy as np

        if self.size == 1:
            return value
        data = json.dumps(value).encode() if self.main else b""
        length = int(self.share(mx.array(len(data))).item())
        sent = mx.array(np.frombuffer(data, np.uint8).astype(np.int32)) if self.main else mx.zeros(length, mx.int32)
        received = self.share(sent)
        return json.loads(bytes(np.array(received).astype(np.uint8)).decode())


def free_ports(n: int) -> int:
    """The first of n consecutive TCP ports on 127.0.0.1 that nothing listens on (each rank of the
    ring listens on one): two runs on one host do not take each other's ports."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            first = s.getsockname()[1]
        try:
            for port in range(first, first + n):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
    raise OSError(f"no {n} consecutive free ports on 127.0.0.1")


def launcher(d: DistributedParams, relaunch: list[str], result: Path) -> list[str]:
    """The mlx.launch command that runs `python <relaunch> --as-rank <result>` on every rank, for
    the hosts of train.distributed.hostfile or another backend than ring on this host."""
    where = ["--hostfile", str(d.hostfile)] if d.hostfile else ["-n", str(d.ranks)]
    return [sys.executable, "-m", "tasks.tuner.ranks", *where, "--backend", d.backend, "--python", sys.executable,
            "--", *relaunch, "--as-rank", str(result)]


def ring_here(ranks: int, command: list[str]) -> int:
    """`command` as `ranks` processes of a ring on loopback, as mlx.launch starts them (MLX_RANK, and
    MLX_HOSTFILE naming a JSON list of each rank's address), on ports free now; when one fails the
    others are stopped (they would wait for it forever). Returns the first non-zero exit status, or 0.
    (mlx.launch itself polls its ranks' pipes without pause: a core of its own on a 2-core machine.)"""
    first = free_ports(ranks)
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="tunesmith-ring-") as hostfile:
        json.dump([[f"127.0.0.1:{first + r}"] for r in range(ranks)], hostfile)
        hostfile.flush()
        env = {**blas_threads(ranks), **os.environ, "MLX_HOSTFILE": hostfile.name}
        procs = [subprocess.Popen(command, env={**env, "MLX_RANK": str(r)}) for r in range(ranks)]
        try:
            while True:
                codes = [p.poll() for p in procs]
                failed = [c for c in codes if c not in (None, 0)]
                if failed or all(c == 0 for c in codes):
                    return failed[0] if failed else 0
                time.sleep(0.2)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.terminate()
            for p in procs:
                p.wait()


def blas_threads(ranks: int) -> dict[str, str]:
    """BLAS threads per rank: the cores shared out (bench.distributed on 2 cores and SmolLM2, at 2e8ca8b:
    2 ranks of 1 thread trained 1.30x one process's tokens/s, 2 ranks of 2 threads 0.83x). What the
    environment already sets wins."""
    threads = str(max(1, (os.cpu_count() or 1) // ranks))
    return {"OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads}


def launch(d: DistributedParams, relaunch: list[str], result: Path) -> dict:
    """Run the ranks and wait; rank 0's result (what the stage reports). A rank that fails fails
    the stage, with its exit status."""
    result.unlink(missing_ok=True)
    command = [sys.executable, *relaunch, "--as-rank", str(result)]
    if d.hostfile or d.backend != "ring":
        cmd = launcher(d, relaunch, result)
        where = f"the hosts in {d.hostfile}" if d.hostfile else f"{d.ranks} ranks on this host"
        print(f"tunesmith train: training on {where} ({d.backend} backend): {shlex.join(cmd)}", file=sys.stderr)
        code = subprocess.run(cmd, check=False).returncode
    else:
        print(f"tunesmith train: training on {d.ranks} ranks on this host (ring backend on loopback)", file=sys.stderr)
        code = ring_here(d.ranks, command)
    if code != 0 or not result.exists():
        from tasks.core.stage import StageFailed

        raise StageFailed(f"distributed training failed (a rank exited {code}); the ranks' messages are above")
    report = json.loads(result.read_text())
    result.unlink()
    return report


if __name__ == "__main__":  # mlx.launch itself (its console script is not on every PATH a stage runs with)
    from mlx._distributed_utils.launch import main

    sys.exit(main())
