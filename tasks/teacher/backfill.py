"""Asking the teacher until a quota is met: quotas count what survives the checks and the judge.

A Job is one kind of thing the teacher makes (paraphrases, QA pairs, tool-dialogue rewrites, one
skill's sub-topic): where its requests come from, how a request is made of each, and the check an
answer must pass. `fill` asks for `target` of them; whatever fails (no answer, a rejected answer, a
score under the judge's threshold) is asked for again from the next candidates, round after round,
until the target is met, the candidates run out, the attempt cap is reached (teacher.max_attempts
requests per example wanted), or the budget ends the run. Every attempt is accounted for: attempts
= kept + every rejection by its reason (a request with no answer as "no answer: " and the client's
reason: cut off, not JSON, not sent for the budget ...). Answers are cached (tasks/teacher/client.py), and the rounds
depend only on the answers, so a rerun walks the same rounds for free and goes on from where the
last one stopped.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from itertools import islice
from typing import Any, Callable, Iterable

from tasks.core.records import Example
from tasks.teacher.client import Client, NoAnswer

NO_ANSWER = "no answer: "  # + the client's reason, e.g. "no answer: finish_reason length"


@dataclass
class Job:
    name: str                                   # how the report names it, e.g. "paraphrases", "skill cleanup / large files"
    target: int                                 # examples wanted, after the checks and the judge
    candidates: Callable[[], Iterable[Any]]     # what each request is made from, in a fixed order (a fresh iterator)
    ask: Callable[[Any], tuple[list[dict], dict | None]]  # candidate -> (messages, the answer's JSON schema; None: text)
    check: Callable[[Any, Any], "tuple[Example, str] | str"]  # (candidate, answer) -> (example, its source for the judge), or why not
    max_tokens: int | None = None               # None: teacher.max_tokens

    def first_requests(self) -> list[tuple[list[dict], dict | None, int | None]]:
        """The requests of the first round, what `--estimate` prices."""
        return [(*self.ask(c), self.max_tokens) for c in islice(self.candidates(), self.target)]


class Progress:
    """The teacher's progress bar (requests, rate, ETA) with the spend so far beside it; its total
    grows when a round backfills or the judge is asked. Without a bar it counts nothing."""

    def __init__(self, bar=None, client: Client | None = None):
        self.bar, self.client = bar, client

    def update(self) -> None:
        if self.bar is None:
            return
        self.bar.update()
        if self.client is not None and self.client.p.price is not None:
            self.bar.set_postfix_str(f"${self.client.budget.spent_usd:.4f} spent", refresh=False)

    def grow(self, n: int) -> None:
        if self.bar is not None:
            self.bar.total += n
            self.bar.refresh()


def answers(client: Client, job: Job, batch: list, progress: Progress) -> list:
    """The teacher's answer to each candidate's request, in order (a NoAnswer where it failed); JSON
    requests grouped by schema, so each group goes out concurrently."""
    asks = [job.ask(c) for c in batch]
    out: list = [NoAnswer('not asked')] * len(batch)
    groups: dict[str, list[int]] = {}
    for i, (_, schema) in enumerate(asks):
        groups.setdefault(json.dumps(schema, sort_keys=True), []).append(i)
    for key, idx in groups.items():
        schema = json.loads(key)
        messages = [asks[i][0] for i in idx]
        got = (client.complete_many(messages, on_done=progress.update) if schema is None else
               client.complete_json_many(messages, schema, on_done=progress.update, max_tokens=job.max_tokens))
        for i, answer in zip(idx, got):
            out[i] = answer
    return out


def fill(client: Client, job: Job, judge, progress: Progress) -> tuple[list[Example], dict]:
    """Up to job.target examples that passed job.check and the judge (None: no judge), and the
    job's row for the report: target, kept, attempts, rejected by reason, and what ended it short."""
    kept: list[Example] = []
    rejected: Counter = Counter()
    pool = iter(job.candidates())
    cap = client.p.max_attempts * job.target
    attempts, ended_by = 0, None
    while len(kept) < job.target:
        if (limit := client.tracker.stopped_by):
            ended_by = f"the budget (teacher.{'max_budget_usd' if limit == 'budget' else 'max_total_tokens'})"
            break
        n = min(job.target - len(kept), cap - attempts)
        if n <= 0:
            ended_by = f"the attempt cap ({cap} requests: teacher.max_attempts {client.p.max_attempts} x {job.target})"
            break
        batch = list(islice(pool, n))
        if not batch:
            ended_by = f"no more to ask from ({attempts} asked)"
            break
        if attempts:
            progress.grow(len(batch))
        attempts += len(batch)
        made: list[tuple[Example, str]] = []
        for candidate, answer in zip(batch, answers(client, job, batch, progress)):
            result = NO_ANSWER + answer.reason if isinstance(answer, NoAnswer) else job.check(candidate, answer)
            if isinstance(result, str):
                rejected[result] += 1
            else:
                made.append(result)
        if judge is not None:
            good, judged_out = judge.keep(client, made, progress)
            rejected.update(judged_out)
        else:
            good = [ex for ex, _ in made]
        kept += good
    return kept, {"target": job.target, "kept": len(kept), "attempts": attempts,
                  "rejected": dict(rejected.most_common()), "ended_by": ended_by}
