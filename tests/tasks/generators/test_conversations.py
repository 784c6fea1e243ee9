import datetime as dt

from tasks.core.config import GenerateParams
from tasks.generators import conversations

P = GenerateParams(reference_date=dt.date(2026, 6, 1), product="Filebox", quotas={"conversation": 10})


def test_conversations_are_kept_only_at_or_above_min_rating():
    log = [{"id": f"c{r}", "rating": r, "messages": [{"role": "user", "content": "Q?"}, {"role": "assistant", "content": f"A{r}"}]}
           for r in (1, 2, 3, 4, 5)] + [{"id": "cn", "rating": None, "messages": []}]
    examples, report = conversations.from_log(log, P, quota=10)
    assert sorted(ex["meta"]["rating"] for ex in examples) == [4, 5]
    assert report == {"dropped": {"rated below 4": 3, "unrated": 1}}


def test_min_rating_is_a_param():
    log = [{"id": "c3", "rating": 3, "messages": [{"role": "user", "content": "Q?"}, {"role": "assistant", "content": "A"}]}]
    strict = P.model_copy(update={"min_rating": 3})
    assert len(conversations.from_log(log, strict, quota=10)[0]) == 1
