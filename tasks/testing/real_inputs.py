"""Real inputs that this project did not write, read at test time out of packages on PyPI.

`make` downloads the distributions pinned (by sha256) in tests/real_inputs.txt into
.cache/real-inputs (`make real-inputs`); nothing of them is copied into the repository. The tests
read files straight out of the archives:

- graphql-core 3.2.6: GitHub's public GraphQL schema as graphql-core benchmarks it (552 types);
- datamodel-code-generator 0.89.0: a later GitHub schema (1,526 types) and the small schemas its
  GraphQL tests use (unions as root fields, interfaces, custom scalars, defaults...);
- gql 4.4.0: the sample schema of its tests;
- bfcl-eval 2026.3.23 (the Berkeley Function Calling Leaderboard): 1,853 function definitions of
  real APIs, in Gorilla's dialect of JSON Schema ("dict", "float", "tuple"...), which
  `bfcl_tools()` turns into OpenAI-style tool definitions the way BFCL's own OpenAI handler does.
"""
from __future__ import annotations

import fnmatch
import json
import tarfile
import zipfile
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / ".cache" / "real-inputs"
SDISTS = {  # package -> its archive, as tests/real_inputs.txt pins it
    "graphql-core": "graphql_core-3.2.6.tar.gz",
    "datamodel-code-generator": "datamodel_code_generator-0.89.0.tar.gz",
    "gql": "gql-4.4.0.tar.gz",
    "bfcl-eval": "bfcl_eval-2026.3.23-py3-none-any.whl",
}


@cache
def _members(package: str) -> dict[str, bytes]:
    """Every regular file of a package's source archive: path inside the project -> bytes."""
    path = FOLDER / SDISTS[package]
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `make real-inputs` (make test does it)")
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as whl:
            return {name: whl.read(name) for name in whl.namelist() if not name.endswith("/")}
    with tarfile.open(path) as tar:
        return {m.name.split("/", 1)[1]: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def files(package: str, pattern: str) -> dict[str, str]:
    """The text of the files of `package`'s archive whose path matches the glob `pattern`."""
    return {name: data.decode("utf-8") for name, data in sorted(_members(package).items())
            if fnmatch.fnmatch(name, pattern)}


def graphql_schemas() -> list[tuple[str, str]]:
    """(package:path, SDL) of every GraphQL schema file in the pinned archives."""
    found = []
    for package in ("graphql-core", "datamodel-code-generator", "gql"):
        for name, text in files(package, "*.graphql").items():
            found.append((f"{package}:{name}", text))
    return found


# Gorilla's type names -> JSON Schema's (BFCL's GORILLA_TO_OPENAPI mapping, as its OpenAI handler applies it)
GORILLA_TYPES = {"dict": "object", "HashMap": "object", "float": "number", "double": "number", "long": "integer",
                 "tuple": "array", "Array": "array", "ArrayList": "array", "String": "string", "char": "string",
                 "Boolean": "boolean", "integer": "integer", "string": "string", "boolean": "boolean",
                 "array": "array", "number": "number", "object": "object"}


def _openapi(schema):
    """A Gorilla parameter schema in JSON Schema's words ("any" and unknown types: no type)."""
    if isinstance(schema, list):
        return [_openapi(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == "type":
            if value in GORILLA_TYPES:
                out["type"] = GORILLA_TYPES[value]
        elif key == "properties":
            out[key] = {name: _openapi(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties"):
            out[key] = _openapi(value)
        elif key != "optional":
            out[key] = value
    return out


def bfcl_tools() -> list[dict]:
    """Every distinct function definition of BFCL v4's categories, as OpenAI-style tools."""
    tools: dict[str, dict] = {}
    for name, text in files("bfcl-eval", "bfcl_eval/data/BFCL_v4_*.json").items():
        if "format_sensitivity" in name:
            continue
        for line in text.splitlines():
            for fn in (json.loads(line).get("function") or []) if line.strip() else []:
                tools.setdefault(fn["name"], {"type": "function", "function": {
                    "name": fn["name"], "description": fn.get("description", ""),
                    "parameters": _openapi(fn.get("parameters") or {"type": "object", "properties": {}})}})
    return list(tools.values())
