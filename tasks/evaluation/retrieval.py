"""Retrieval over the parsed doc chunks: the baseline a fine-tune must beat (or join).

A BM25 index (bm25s, English stop words, Snowball stems) over each chunk's heading path and
text; `retrieve` gives the top k chunks for a question, and `with_context` puts them into a QA
prompt's system message, so the question itself is asked exactly as without them. `hit` says
whether a retrieved chunk holds the answer, for recall@k.
"""
from __future__ import annotations

from dataclasses import dataclass

from tasks.evaluation.scores import Fact, has_fact


def chunk_text(chunk: dict) -> str:
    """What is indexed (and shown to the model) of a chunk: its heading path, then its text."""
    return " > ".join(chunk.get("heading_path") or []) + "\n" + chunk["text"]


@dataclass
class Index:
    chunks: list[dict]
    bm25: object
    stemmer: object

    def retrieve(self, questions: list[str], k: int) -> list[list[dict]]:
        """The top `k` chunks for each question, best first (fewer when the docs have fewer)."""
        import bm25s

        k = min(k, len(self.chunks))
        if not questions or k == 0:
            return [[] for _ in questions]
        tokens = bm25s.tokenize(questions, stopwords="en", stemmer=self.stemmer, show_progress=False)
        ids, _ = self.bm25.retrieve(tokens, k=k, show_progress=False, n_threads=1)
        return [[self.chunks[i] for i in row] for row in ids.tolist()]


def build_index(chunks: list[dict]) -> Index:
    """A BM25 index of the chunks (Lucene's BM25, k1 1.5, b 0.75: bm25s's defaults)."""
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    bm25 = bm25s.BM25()
    if chunks:
        bm25.index(bm25s.tokenize([chunk_text(c) for c in chunks], stopwords="en", stemmer=stemmer,
                                  show_progress=False), show_progress=False)
    return Index(list(chunks), bm25, stemmer)


def with_context(messages: list[dict], chunks: list[dict], product: str | None = None) -> list[dict]:
    """The prompt with the retrieved chunks appended to its system message (one is added when it
    has none); the user's turn is unchanged.

    >>> with_context([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Quota?"}],
    ...              [{"heading_path": ["Plans"], "text": "Free: 5 GB."}])[0]["content"]
    'Be brief.\\n\\nFrom the documentation:\\n\\n[1] Plans\\nFree: 5 GB.'
    """
    docs = "\n\n".join(f"[{i}] {chunk_text(c)}" for i, c in enumerate(chunks, 1))
    context = f"From the {product + ' ' if product else ''}documentation:\n\n{docs}"
    if messages and messages[0]["role"] == "system":
        return [{**messages[0], "content": f"{messages[0]['content']}\n\n{context}"}, *messages[1:]]
    return [{"role": "system", "content": context}, *messages]


def hit(retrieved: list[dict], files: list[str] | None, span: list[int] | None, facts: list[Fact] | None) -> bool:
    """Whether a retrieved chunk holds the answer: for a generated question, a chunk of its file
    overlapping the span its answer was copied from; for a hand-written one, a chunk of a file it
    names (any file when it names none) that states every one of its key facts.

    >>> c = {"file": "a.md", "start": 0, "end": 50, "text": "Free: 5 GB.", "heading_path": []}
    >>> hit([c], ["a.md"], [10, 20], None), hit([c], ["a.md"], [60, 70], None), hit([c], None, None, ["5 GB"])
    (True, False, True)
    >>> hit([c], ["b.md"], None, ["5 GB"]), hit([c], None, None, ["15 GB"])
    (False, False)
    """
    for c in retrieved:
        if files and c["file"] not in files:
            continue
        if span is not None:
            if c["start"] < span[1] and span[0] < c["end"]:
                return True
        elif facts and all(has_fact(chunk_text(c), f) for f in facts):
            return True
    return False
