"""The Prefect front door: run the stages of dvc.yaml, in the order of DVC's own graph, through DVC.

At the start the flow checks params.yaml (a bad key fails the run there, named, before any
stage), names and tags the run from what it runs (the git commit, a hash of dvc.lock, the params
that differ from the commit's: `dvc params diff --json`), and asks DVC which stages are out of
date (`dvc status --json`; once a stage has run, again for each later one, since the same outputs
leave the next up to date). Each stage is a Prefect task named after it: an up-to-date stage
finishes as Cached and says which run published its artifacts; any other runs `dvc repro
--single-item <stage>`, so dvc.lock ends up exactly as after a plain `dvc repro`. While a stage
runs, its stdout and stderr go to the run's logs line by
line (colour codes stripped), and its progress bars (tqdm's) drive a progress artifact: percent,
count and ETA. When a stage ran, the run gets its report; at the end, a run summary (examples per
category, validation, base vs tuned on the generated test split and on the golden set, QA with and
without retrieval, against the previous run), the coverage table and the loss curve as an image.
A run that finds every stage Cached publishes the same from the workspace's reports when no run
on the server has published these results yet (a `make run` made them, say), and nothing when one
has. No stage logic lives here: what the artifacts say and their keys are tasks/reports/dashboard.py's
and tasks/reports/summary.py's.
"""
from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    Artifact,
    create_image_artifact,
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.runtime import flow_run
from prefect.states import Completed

from tasks.core.config import ParamsError, load_params
from tasks.reports import dashboard

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
BAR = re.compile(r"(?:(?P<desc>[^\r\n:|]+): *)?(?P<pct>\d{1,3})%\|[^|]*\| *(?P<n>\d+)/(?P<total>\d+) "
                 r"\[(?P<elapsed>[\d:]+)<(?P<eta>[\d:?]+)")


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


def _env() -> dict:
    bin_dir = str(Path(sys.executable).parent)  # stage commands must find this environment's python
    return {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}


def out_of_date(project: Path, stage: str | None = None) -> set[str]:
    """The stages `dvc status --json` says are out of date: of the whole pipeline, or `stage` alone."""
    result = subprocess.run([sys.executable, "-m", "dvc", "status", "--json"] + ([stage] if stage else []),
                            cwd=project, env=_env(), capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"dvc status failed:\n{result.stderr[-3000:]}")
    return {name.split(":")[-1] for name in json.loads(result.stdout or "{}")}


# --- what the run is ---------------------------------------------------------------------------

def _git(project: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=project, capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else ""


def changed_params(project: Path) -> list[str]:
    """The params whose value differs from the committed params.yaml's, as key=value, as DVC sees
    them (`dvc params diff --json`: the params dvc.yaml's stages use); none when DVC cannot say
    (no commit yet, or a params.yaml the flow's own check will reject)."""
    result = subprocess.run([sys.executable, "-m", "dvc", "params", "diff", "--json"], cwd=project, env=_env(),
                            capture_output=True, text=True)
    try:
        diff = json.loads(result.stdout) if result.returncode == 0 and result.stdout.strip() else {}
    except json.JSONDecodeError:
        return []
    changes = {key: change["new"] for per_file in diff.values() for key, change in per_file.items()}
    return [f"{key}={json.dumps(value) if isinstance(value, (list, dict)) else value}" for key, value in sorted(changes.items())]


def identity(project: Path) -> dict:
    """The commit, dvc.lock's hash and the changed params: what the run's name and tags say."""
    lock = project / "dvc.lock"
    return {"commit": _git(project, "rev-parse", "--short", "HEAD") or "no-commit",
            "lock": hashlib.sha256(lock.read_bytes()).hexdigest()[:8] if lock.exists() else "no-lock",
            "params": changed_params(project)}


def run_name() -> str:
    who = identity(Path(flow_run.parameters.get("project", ".")).resolve())
    return f"{who['commit']}-{who['lock']}" + (f"-{len(who['params'])}-params-changed" if who["params"] else "")


# --- a stage, watched --------------------------------------------------------------------------

def watch(cmd: list[str], cwd: Path, on_line) -> tuple[int, list[str]]:
    """Run `cmd`, calling on_line(text) for every line of stdout and stderr as it is written (a
    carriage return ends a line too: that is how progress bars redraw), on this thread. Returns the
    exit code and the last 60 lines."""
    lines: queue.Queue = queue.Queue()
    proc = subprocess.Popen(cmd, cwd=cwd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def read(pipe):
        buf = b""
        for chunk in iter(lambda: pipe.read1(4096), b""):
            buf += chunk
            *done, buf = re.split(rb"\r\n|\r|\n", buf)
            for line in done:
                lines.put(line.decode("utf-8", "replace"))
        if buf:
            lines.put(buf.decode("utf-8", "replace"))
        lines.put(None)

    readers = [threading.Thread(target=read, args=(pipe,), daemon=True) for pipe in (proc.stdout, proc.stderr)]
    for r in readers:
        r.start()
    tail: list[str] = []
    open_pipes = 2
    while open_pipes:
        line = lines.get()
        if line is None:
            open_pipes -= 1
            continue
        line = ANSI.sub("", line).rstrip()
        if line:
            tail = (tail + [line])[-60:]
            on_line(line)
    return proc.wait(), tail


class StageProgress:
    """A stage's progress artifact, fed by its progress bars; other lines go to the run's log."""

    def __init__(self, stage: str):
        self.stage, self.logger = stage, get_run_logger()
        self.id = create_progress_artifact(progress=0.0, key=dashboard.progress_key(stage), description=f"{stage}: starting")
        self.last = (-1.0, 0.0)

    def line(self, text: str) -> None:
        bar = BAR.search(text)
        if bar is None:
            self.logger.info(text)
            return
        pct, now = float(bar["pct"]), time.monotonic()
        if pct != self.last[0] and (now - self.last[1] >= 1.0 or pct >= 100):
            what = (bar["desc"] or self.stage).strip()
            update_progress_artifact(self.id, progress=pct, description=(
                f"{self.stage}: {what} {bar['n']}/{bar['total']}, {bar['elapsed']} elapsed, ETA {bar['eta']}"))
            if pct >= 100 or now - self.last[1] >= 30:  # now and then in the log too
                self.logger.info(f"{what}: {bar['n']}/{bar['total']} ({pct:.0f}%), ETA {bar['eta']}")
            self.last = (pct, now)

    def done(self, outcome: str) -> None:
        update_progress_artifact(self.id, progress=100.0, description=f"{self.stage}: {outcome}")


def last_published(stage: str) -> str:
    """Which run published a stage's report last, in words."""
    try:
        artifact = Artifact.get(dashboard.report_key(stage))
        if artifact is None or artifact.flow_run_id is None:
            return "no run has published its report yet"
        from prefect import get_client

        with get_client(sync_client=True) as client:
            return f"its artifacts are those of run {client.read_flow_run(artifact.flow_run_id).name}"
    except Exception:  # the dashboard's bookkeeping must never fail a stage
        return "its artifacts are those of an earlier run"


def publish_report(root: Path, stage: str) -> None:
    report = root / load_params(root / "params.yaml").paths.report(stage)
    if report.exists():
        create_markdown_artifact(key=dashboard.report_key(stage),
                                 markdown=dashboard.stage_markdown(stage, json.loads(report.read_text())),
                                 description=f"{stage}: reports/{stage}.json")


def never_published(key: str) -> bool:
    try:
        return Artifact.get(key) is None
    except Exception:  # the dashboard's bookkeeping must never fail a stage
        return False


@task(task_run_name="{stage}", retries=0)
def run_stage(project: str, stage: str, stale: bool, unpublished: bool = False):
    """`unpublished`: the workspace's results were made outside Prefect (a `make run`) and no run
    has published them, so an up-to-date stage publishes its report from the workspace."""
    root = Path(project)
    if not stale:
        if unpublished or never_published(dashboard.report_key(stage)):
            publish_report(root, stage)
            return Completed(name="Cached", message=f"{stage} is up to date in dvc.lock; its report, made outside "
                                                    "Prefect, is published with this run")
        return Completed(name="Cached", message=f"{stage} is up to date in dvc.lock; {last_published(stage)}")
    progress = StageProgress(stage)
    progress.logger.info(f"running {stage} through DVC")
    code, tail = watch([sys.executable, "-m", "dvc", "repro", "--single-item", stage], root, progress.line)
    if code != 0:
        progress.done("failed")
        raise RuntimeError(f"stage {stage} failed (dvc repro exit {code}):\n" + "\n".join(tail[-30:]))
    progress.done("done")
    publish_report(root, stage)
    return f"{stage} ran"


def already_published(results: str) -> bool:
    """Whether a run on the server published the results with this dvc.lock hash last."""
    try:
        artifact = Artifact.get(dashboard.PUBLISHED)
        return artifact is not None and artifact.data == results
    except Exception:  # unknown: publish (once more) rather than show nothing
        return False


def publish_run(root: Path, ran: list[str], results: str) -> None:
    """The run summary (against the metrics the previous run published as `run-metrics`), this
    run's metrics for the next one, the coverage table, every expectation's verdict, and the loss
    curve as an image (an SVG in a data: URL, so the dashboard shows it with no network); then
    which results these were (`results`: dvc.lock's hash), so no later run publishes them again."""
    from tasks.reports import summary

    paths = load_params(root / "params.yaml").paths.under(root)
    try:
        reports = summary.load_reports(paths)
    except summary.MissingReports as missing:  # a report the summary needs is not there: say so, fail nothing
        get_run_logger().warning(f"no run summary: {missing}")
        return
    previous = Artifact.get(dashboard.RUN_METRICS)
    before = json.loads(previous.data) if previous is not None and isinstance(previous.data, str) else None
    how = f"stages run: {', '.join(ran)}" if ran else \
        "every stage was up to date: the workspace's results, made outside Prefect, which no run had published"
    create_markdown_artifact(key=dashboard.RUN_SUMMARY, markdown=summary.run_markdown(reports, before), description=how)
    create_markdown_artifact(key=dashboard.RUN_METRICS, markdown=json.dumps(reports["metrics"]),
                             description="metrics.json of this run (the next run compares against it)")
    if paths.coverage.exists():
        create_markdown_artifact(key=dashboard.COVERAGE, markdown=paths.coverage.read_text(), description=str(paths.coverage.name))
    create_table_artifact(key=dashboard.VALIDATION, table=dashboard.validation_rows(reports["validate"]),
                          description=f"every expectation's verdict (the full page: {paths.validation_page.name})")
    if paths.loss_plot.exists():
        create_image_artifact(image_url=dashboard.svg_data_url(paths.loss_plot), key=dashboard.LOSS_CURVE,
                              description="train and validation loss (reports/plots/loss.svg)")
    create_markdown_artifact(key=dashboard.PUBLISHED, markdown=results, description="the dvc.lock hash of the results published")


@flow(name="tunesmith", flow_run_name=run_name, log_prints=True)
def pipeline(project: str = ".") -> list[str]:
    """Run every stage of dvc.yaml; unchanged stages finish as Cached."""
    root = Path(project).resolve()
    try:
        load_params(root / "params.yaml")
    except ParamsError as e:
        raise ValueError(f"params.yaml is not valid; no stage was run.\n{e}") from None
    who = identity(root)
    tag_run(who)
    stale = out_of_date(root)
    unpublished = not stale and not already_published(who["lock"])  # every stage Cached, and nobody showed these results
    states, ran = [], []
    for stage in stage_order(root):
        # once a stage ran, ask DVC again: what it wrote may leave this one up to date (the same outputs)
        stale_now = bool(out_of_date(root, stage)) if ran else stage in stale
        state = run_stage(str(root), stage, stale_now, unpublished, return_state=True)
        if state.is_failed():
            raise RuntimeError(f"stage {stage} failed; later stages not run") from None
        if state.name != "Cached":
            ran.append(stage)
        states.append(f"{stage}: {state.name}")
    if ran or unpublished:
        publish_run(root, ran, identity(root)["lock"])  # after the stages: what dvc.lock says the results are now
    return states


def tag_run(who: dict) -> None:
    from prefect import get_client

    tags = [f"commit:{who['commit']}", f"lock:{who['lock']}"] + [f"param:{p}"[:100] for p in who["params"]]
    try:
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(flow_run.id)
            client.update_flow_run(flow_run.id, tags=sorted(set(run.tags) | set(tags)))
    except Exception as e:  # tags are for people; a failure to set them never fails the run
        get_run_logger().warning(f"could not tag the run: {e}")


if __name__ == "__main__":
    pipeline()
