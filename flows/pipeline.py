"""The Prefect front door: run the stages of dvc.yaml, in the order of DVC's own graph, through DVC.

Each stage is a Prefect task named after it. The task asks DVC whether the stage is up to date
(`dvc status <stage>`); if so it finishes as Cached without running anything, otherwise it runs
`dvc repro --single-item <stage>`, so dvc.lock ends up exactly as after a plain `dvc repro`.
Either way it publishes the stage's report (reports/<stage>.json) as artifacts of the run.
No stage logic lives here.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.states import Completed

from tasks.config import load_params


def stage_order(project: Path) -> list[str]:
    """The stages of dvc.yaml, each after every stage it depends on: DVC's own graph, sorted
    topologically (ties by name), not the order the file happens to list them in."""
    import networkx as nx
    from dvc.repo import Repo

    with Repo(str(project)) as repo:
        graph = repo.index.graph  # edges run from a stage to the stages it depends on
        by_name = {stage: stage.name for stage in graph.nodes}
        order = nx.lexicographical_topological_sort(graph.reverse(copy=False), key=by_name.get)
        return [by_name[stage] for stage in order]


def plot_files(project: Path, stage: str) -> list[Path]:
    """The plot files a stage declares, as DVC resolves them (params interpolated)."""
    from dvc.repo import Repo

    with Repo(str(project)) as repo:
        [found] = [s for s in repo.index.stages if s.name == stage]
        return [project / str(out.def_path) for out in found.outs if out.plot]


def _dvc(project: Path, *args: str) -> subprocess.CompletedProcess:
    bin_dir = str(Path(sys.executable).parent)  # stage commands must find this environment's python
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    return subprocess.run([sys.executable, "-m", "dvc", *args], cwd=project, env=env,
                          capture_output=True, text=True)


def is_up_to_date(project: Path, stage: str) -> bool:
    result = _dvc(project, "status", "--json", stage)
    if result.returncode != 0:
        raise RuntimeError(f"dvc status {stage} failed:\n{result.stderr}")
    return json.loads(result.stdout or "{}") == {}


def report_rows(report: dict, prefix: str = "") -> list[dict]:
    """Flatten a stage report into (key, value) rows for a table artifact.

    >>> report_rows({"n_out": 3, "splits": {"train": 2, "test": 1}})
    [{'key': 'n_out', 'value': '3'}, {'key': 'splits.train', 'value': '2'}, {'key': 'splits.test', 'value': '1'}]
    """
    rows = []
    for key, value in report.items():
        if isinstance(value, dict):
            rows += report_rows(value, f"{prefix}{key}.")
        elif not isinstance(value, list):
            rows.append({"key": f"{prefix}{key}", "value": str(value)})
    return rows


def publish(project: Path, stage: str, outcome: str) -> None:
    report_path = project / load_params(project / "params.yaml").paths.report(stage)
    if not report_path.exists():
        return
    report = json.loads(report_path.read_text())
    create_table_artifact(key=f"{stage}-report", table=report_rows(report), description=f"{stage}: {outcome}")
    for plot in plot_files(project, stage):  # loss curves and the like, as tables on the run
        if plot.suffix == ".json" and plot.exists() and (rows := json.loads(plot.read_text())):
            create_table_artifact(key=f"{stage}-{plot.stem.replace('_', '-')}", table=rows,
                                  description=f"{plot.name} ({len(rows)} points)")
    create_markdown_artifact(
        key=f"{stage}-summary",
        markdown=f"# {stage} ({outcome})\n\n```json\n{json.dumps(report, indent=2)[:20000]}\n```\n",
        description=f"reports/{stage}.json",
    )


@task(task_run_name="{stage}", retries=0)
def run_stage(project: str, stage: str):
    logger = get_run_logger()
    root = Path(project)
    if is_up_to_date(root, stage):
        publish(root, stage, "cached")
        return Completed(name="Cached", message=f"{stage} is up to date in dvc.lock")
    logger.info("running %s through DVC", stage)
    result = _dvc(root, "repro", "--single-item", stage)
    logger.info(result.stdout[-5000:])
    if result.returncode != 0:
        raise RuntimeError(f"stage {stage} failed (dvc repro exit {result.returncode}):\n{result.stderr[-5000:]}")
    publish(root, stage, "ran")
    return f"{stage} ran"


@flow(name="tunesmith", log_prints=True)
def pipeline(project: str = ".") -> list[str]:
    """Run every stage of dvc.yaml; unchanged stages finish as Cached."""
    root = Path(project).resolve()
    states = []
    for stage in stage_order(root):
        state = run_stage(str(root), stage, return_state=True)
        if state.is_failed():
            raise RuntimeError(f"stage {stage} failed; later stages not run") from None
        states.append(f"{stage}: {state.name}")
    return states


if __name__ == "__main__":
    pipeline()
