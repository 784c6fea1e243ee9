"""The generate stage at production quotas: wall time, examples/s per generator and peak memory.

    .venv/bin/python -m bench.generate_scale [--total 1000000]

Synthetic sources (tasks/testing/synthetic.py): docs pages in proportion to the QA quota, a schema of
GitHub's size, 60 tool definitions, a conversation log three times the conversation quota, written
where parse writes them (the layout of params.yaml in a
scratch folder), then `python -m tasks.generate` in a process of its own with generate.quotas of
--total examples in a production mix (30% QA, 30% NL->GraphQL, 30% tool use, 10% conversations),
everything else from params.yaml. Peak memory is the stage process's maximum RSS; each generator's
seconds are what the stage itself reports. The named baseline is the stage's own write: writing the
examples it wrote back as canonical JSONL, line by line with orjson (bench.clean's I/O floor), in the same run.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WRITE_ONLY = ("import sys, time, orjson; t = time.perf_counter()\n"
              "with open(sys.argv[1], 'rb') as src, open(sys.argv[1] + '.copy', 'wb') as out:\n"
              "    for line in src: out.write(orjson.dumps(orjson.loads(line), option=orjson.OPT_SORT_KEYS) + b'\\n')\n"
              "print(time.perf_counter() - t)")
OBJECTS = 250  # object types in the schema: ~1,500 types in all, GitHub's size
TOOLS = 60      # tool definitions: a large agent's; every tool-use row carries the whole list, as the stage writes it
MIX = {"qa": 0.3, "text-to-graphql": 0.3, "tool_use": 0.3, "conversation": 0.1}


def write_sources(folder: Path, quotas: dict[str, int]) -> dict:
    """The parsed sources (the report says which quota a source could not fill with distinct examples)."""
    from tasks.core.config import ParseParams, load_params
    from tasks.core.io import write_json, write_jsonl
    from tasks.parse import parse_docs, parse_schema
    from tasks.testing.synthetic import synthetic_docs, synthetic_log, synthetic_schema, synthetic_tools

    paths = load_params(ROOT / "params.yaml").paths.under(folder)
    paths.parsed.mkdir(parents=True)
    pages = folder / "pages"
    pages.mkdir()
    for name, text in synthetic_docs(max(1, quotas["qa"] // 9), seed=0).items():
        (pages / name).write_text(text)
    chunks, _ = parse_docs(pages, ParseParams())
    write_jsonl(paths.parsed_file("docs"), chunks)
    schema_file = folder / "schema.graphql"
    schema_file.write_text(synthetic_schema(OBJECTS, seed=0))
    paths.parsed_file("graphql_schema").write_text(parse_schema(schema_file)[0])
    tools = synthetic_tools(TOOLS)
    write_json(paths.parsed_file("tools"), tools)
    write_jsonl(paths.parsed_file("conversations"), synthetic_log(3 * quotas["conversation"]))
    return {"doc_chunks": len(chunks), "tools": len(tools)}


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.generate_scale", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--total", type=int, default=1_000_000, help="examples asked for in all (default %(default)s)")
    args = ap.parse_args()
    quotas = {c: round(args.total * share) for c, share in MIX.items()}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        sizes = write_sources(folder, quotas)
        sources_s = time.perf_counter() - t
        params = yaml.safe_load((ROOT / "params.yaml").read_text())
        params["paths"] = {k: str(folder / v) if not Path(v).is_absolute() else v for k, v in params["paths"].items()}
        params["generate"]["quotas"] = quotas
        params["generate"]["product"] = "Acme"
        (folder / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
        t = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "tasks.generate", "--params", str(folder / "params.yaml")],
                                cwd=ROOT, capture_output=True, text=True, check=False)
        stage_s = time.perf_counter() - t
        if result.returncode != 0:
            sys.exit(result.stderr[-3000:])
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        report = json.loads((folder / "reports" / "generate.json").read_text())
        generated = folder / params["paths"]["generated"]
        t = time.perf_counter()
        write = subprocess.run([sys.executable, "-c", WRITE_ONLY, str(generated)], cwd=ROOT, capture_output=True,
                               text=True, check=True)
        write_s = float(write.stdout.strip())
        mb = generated.stat().st_size / 1e6
    seconds = {c: g.get("seconds") for c, g in report["generators"].items()}
    print(f"\ngenerate stage, quotas {quotas} ({args.total:,} asked), synthetic sources "
          f"({sizes['doc_chunks']:,} doc chunks, {sizes['tools']} tools; written in {sources_s:.0f} s)\n")
    print("| generator | asked | produced | seconds | examples/s | short because |\n| --- | ---: | ---: | ---: | ---: | --- |")
    for c, row in report["categories"].items():
        s = seconds.get(c)
        rate = f"{s:.1f} | {row['produced'] / s:,.0f}" if s else "- | -"
        print(f"| {c} | {row['target']:,} | {row['produced']:,} | {rate} | {row.get('why', '')} |")
    print(f"\nthe stage: {report['n_out']:,} examples ({mb:,.0f} MB) in {stage_s:.1f} s, peak RSS {peak_mb:,.0f} MB; "
          f"baseline, reading and writing them back (orjson, line by line): {write_s:.1f} s, so the stage takes "
          f"{stage_s / write_s:.0f}x that")


if __name__ == "__main__":
    main()
