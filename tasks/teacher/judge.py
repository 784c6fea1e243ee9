"""The judge (generate.teacher.judge): the teacher scores each example it made against its
source, 1-10 on a rubric; what scores under the threshold is rejected with its score."""
from __future__ import annotations

from collections import Counter

from tasks.core.config import JudgeParams
from tasks.core.records import Example
from tasks.teacher.client import Client, NoAnswer
from tasks.teacher.jobs import words_of

JUDGE_SCHEMA = {"type": "object", "additionalProperties": False, "required": ["score", "reason"], "properties": {
    "score": {"type": "integer", "minimum": 1, "maximum": 10}, "reason": {"type": "string"}}}


def judge_request(rubric: str, source: str, candidate: Example) -> list[dict]:
    return [{"role": "user", "content": (
        f"Judge the candidate against its source. Score it from 1 to 10 for {rubric}. "
        'Reply with JSON only: {"score": <1-10>, "reason": "<one sentence>"}\n\n'
        f"Source:\n{source}\n\nCandidate:\n{words_of(candidate)}")}]


class Judge:
    """teacher.judge: the teacher scores each example it made against its source, 1-10 on the
    rubric; below the threshold it is rejected with its score, above it keeps the score and the
    reason in meta["judge"]. Counts every score it gives, over the whole run."""

    def __init__(self, params: JudgeParams):
        self.p = params
        self.scores: Counter = Counter()
        self.rejected: Counter = Counter()

    def keep(self, client: Client, made: list[tuple[Example, str]], progress) -> tuple[list[Example], Counter]:
        progress.grow(len(made))
        verdicts = client.complete_json_many([judge_request(self.p.rubric, source, ex) for ex, source in made],
                                             JUDGE_SCHEMA, on_done=progress.update)
        kept, rejected = [], Counter()
        for (ex, _), verdict in zip(made, verdicts):
            if isinstance(verdict, NoAnswer):
                rejected[f"the judge gave no score: {verdict.reason}"] += 1
                continue
            self.scores[verdict["score"]] += 1
            if verdict["score"] < self.p.threshold:
                rejected[f"the judge scored it below {self.p.threshold}"] += 1
                continue
            kept.append({**ex, "meta": {**ex["meta"], "judge": {"score": verdict["score"], "reason": verdict["reason"]}}})
        self.rejected.update(rejected)
        return kept, rejected

    def report(self) -> dict:
        return {"threshold": self.p.threshold, "scores": dict(sorted(self.scores.items())),
                "rejected": dict(self.rejected.most_common())}
