"""Generator throughput at 10k examples, and NL->GraphQL side by side with AutoGraphQL.

    make bench     # installs autographql (the baseline; not a dependency of tunesmith), downloads the real inputs
    .venv/bin/python -m bench.generators [--n 10000] [--objects 200] [--real-n 500]

Every generator runs on synthetic sources big enough for --n distinct examples (bench/synthetic.py).
The AutoGraphQL comparison runs on a real schema, GitHub's public API as datamodel-code-generator's
tests ship it (1,526 types; tests/real_inputs.py), --real-n queries from each, counts only queries
that are valid against it and distinct, and times both in this run. Ours also writes the
natural-language request for every query and validates it; AutoGraphQL writes queries only, which
we then validate. Each side's seconds include loading the schema once (ours: graphql.load_schema;
AutoGraphQL: its own loader, and where that fails, as on GitHub's schema, graphql-core's read as
graphql.load_schema reads it);
the rate after the load is printed too, since with a few hundred queries the load is much of it.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import tempfile
import time
from pathlib import Path

from graphql import GraphQLError, build_ast_schema, build_schema, parse, validate

from tasks.core.config import GenerateParams, ParseParams
from tasks.generators import conversations, graphql, qa, tools
from tasks.parse import parse_docs, parse_schema
from tasks.testing.synthetic import synthetic_docs, synthetic_log, synthetic_schema, synthetic_tools

P = GenerateParams(reference_date=dt.date(2026, 6, 1), product="Acme", quotas={"qa": 1})


def timed(fn):
    gc.collect()  # each timed part starts without the garbage of the one before (a built schema is all cycles)
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def ours(sdl: str, n: int) -> tuple[int, float, dict, float]:
    """Valid distinct pairs, seconds, how many of each construct, and of those seconds the schema's
    load (what pairs_from_schema does first, timed on its own)."""
    (examples, coverage), seconds = timed(lambda: graphql.pairs_from_schema(sdl, P, random.Random(0), n))
    assert not coverage["generator_bugs"], coverage["generator_bugs"]
    _, load = timed(lambda: getattr(graphql, "load_schema", build_schema)(sdl))  # before issue 24: build_schema
    return len(examples), seconds, coverage["constructs"], load


def is_valid(schema, query: str) -> bool:
    try:
        return not validate(schema, parse(query))
    except GraphQLError:
        return False


def autographql(sdl: str, n: int) -> tuple[int, float, dict, int, int, float]:
    """Valid, distinct queries from each AutoGraphQL category, n in all; returns (valid, seconds,
    valid per category, attempts, invalid or repeated outputs, of the seconds its schema's load)."""
    from autographql.generators.generator_factory import QueryGeneratorFactory
    from autographql.utils.schema_utils import build_schema_with_directives

    schema = build_schema(sdl)  # what its queries are validated against (validation is timed, the build is not)
    per_category: dict = {}
    attempts = invalid = 0
    gc.collect()
    start = time.perf_counter()
    try:
        their_schema = build_schema_with_directives(sdl)
    except Exception:  # noqa: BLE001 - its regex clean-up breaks some real schemas (GitHub's): give it graphql-core's
        print("AutoGraphQL's own schema loader failed on this schema; it is given graphql-core's, without locations "
              "or a second check of the SDL (as graphql.load_schema reads it)")
        their_schema = build_ast_schema(parse(sdl, no_location=True), assume_valid_sdl=True)
    load = time.perf_counter() - start
    factory = QueryGeneratorFactory(their_schema, None, 2)
    categories = factory.get_all_generator_types()
    for cat in categories:
        gen = factory.create_generator(cat)
        seen: set[str] = set()
        want = n // len(categories)
        tries = 0
        while len(seen) < want and tries < 3 * want:
            tries += 1
            try:
                if cat == "mutations":
                    queries = [q for q, _ in gen.generate_queries(2)]
                else:
                    queries = [gen.generate_query()[0]]
            except Exception:  # noqa: BLE001 - a baseline's own failure counts as an attempt without a query
                continue
            for q in queries:
                if q and q not in seen and is_valid(schema, q):
                    seen.add(q)
                elif q:
                    invalid += 1
        attempts += tries
        per_category[cat] = len(seen)
    return sum(per_category.values()), time.perf_counter() - start, per_category, attempts, invalid, load


def github_schema() -> str:
    """GitHub's public schema out of datamodel-code-generator's source archive, as parse hands it on."""
    from tasks.testing.real_inputs import files

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "github-api.graphql"
        path.write_text(files("datamodel-code-generator", "tests/data/graphql/github-api.graphql").popitem()[1])
        return parse_schema(path)[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.generators", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000, help="examples per generator (default %(default)s)")
    parser.add_argument("--objects", type=int, default=200, help="object types in the synthetic schema")
    parser.add_argument("--real-n", type=int, default=500, help="queries from the real schema, each side (default %(default)s)")
    args = parser.parse_args(argv)
    n = args.n

    sdl = synthetic_schema(args.objects, seed=0)
    n_types = len(build_schema(sdl).type_map)
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in synthetic_docs(max(1, n // 9), seed=0).items():
            (Path(tmp) / name).write_text(text)
        chunks, _ = parse_docs(Path(tmp), ParseParams())
    tool_defs = synthetic_tools(60)
    log = synthetic_log(n * 3)  # about 3 in 7 are rated >= 4

    rows = []
    made, s = timed(lambda: qa.pairs_from_docs(chunks, P, random.Random(0), n)[0])
    rows.append(("qa", f"{len(chunks)} doc chunks", len(made), s))
    count, s, _, _ = ours(sdl, n)
    rows.append(("text-to-graphql", f"schema of {n_types} types", count, s))
    made, s = timed(lambda: tools.dialogues(tool_defs, P, random.Random(0), n)[0])
    rows.append(("tool_use", f"{len(tool_defs)} tools", len(made), s))
    made, s = timed(lambda: conversations.from_log(log, P, n)[0])
    rows.append(("conversation", f"{len(log)} logged conversations", len(made), s))

    print(f"\nGenerator throughput, {n} examples each (one process, 1 core)\n")
    print("| generator | source | examples | seconds | examples/s |\n| --- | --- | ---: | ---: | ---: |")
    for name, source, count, seconds in rows:
        print(f"| {name} | {source} | {count} | {seconds:.2f} | {count / seconds:,.0f} |")

    sdl = github_schema()
    n_types = len(build_schema(sdl).type_map)
    our_count, our_s, coverage, our_load = ours(sdl, args.real_n)
    theirs, their_s, per_cat, attempts, invalid, their_load = autographql(sdl, args.real_n)
    print(f"\nNL->GraphQL vs AutoGraphQL 0.1.0 (baseline), GitHub's schema ({n_types} types), same run\n")
    print("| | valid distinct queries | seconds | of which the schema's load | queries/s | queries/s after the load "
          "| constructs covered |\n| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    ours_cov = [c for c in graphql.CONSTRUCTS if coverage.get(c)]
    their_cov = [c for c, v in per_cat.items() if v]
    print(f"| tunesmith (query + request + validation) | {our_count} | {our_s:.2f} | {our_load:.2f} | "
          f"{our_count / our_s:,.0f} | {our_count / (our_s - our_load):,.0f} | {len(ours_cov)} of {len(graphql.CONSTRUCTS)} |")
    print(f"| AutoGraphQL (query, then our validation) | {theirs} | {their_s:.2f} | {their_load:.2f} | "
          f"{theirs / their_s:,.0f} | {theirs / (their_s - their_load):,.0f} | {len(their_cov)} of {len(per_cat)} categories |")
    print(f"\nthroughput ratio tunesmith / AutoGraphQL: {(our_count / our_s) / (theirs / their_s):.2f}x, each schema "
          f"loaded once; {(our_count / (our_s - our_load)) / (theirs / (their_s - their_load)):.2f}x after the load")
    print(f"tunesmith per construct: {dict((c, coverage[c]) for c in ours_cov)}")
    print(f"AutoGraphQL valid per category: {per_cat} ({attempts} attempts, {invalid} outputs invalid or repeated)")


if __name__ == "__main__":
    main()
