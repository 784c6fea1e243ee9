"""Reading and writing artifacts safely.

Every write goes to a temporary file beside the target and is renamed into place, so an
interrupted stage never leaves a half-written artifact. Every read of user input names
the file (and line) when something is wrong.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator

import orjson


class InputError(ValueError):
    """Bad user input. The message names the file (and line) and says what to do."""


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 with RENAME_EXCHANGE); False where unsupported."""
    import ctypes
    import ctypes.util

    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _replace(tmp: Path, target: Path) -> None:
    """Put `tmp` at `target`. A folder that exists is swapped in one step where the OS can, so a
    reader (or a kill) never sees it missing or half old, half new."""
    if not tmp.exists():  # nothing was written: keep what is there rather than move it aside
        raise RuntimeError(f"{tmp}: nothing was written to replace {target} with (a bug in the stage)")
    if target.is_dir() and not target.is_symlink():
        if _exchange(tmp, target):
            shutil.rmtree(tmp)  # now the old folder
            return
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old)
    else:
        os.replace(tmp, target)


@contextlib.contextmanager
def atomic_paths(*targets: Path) -> Iterator[list[Path]]:
    """Yield a temp path beside each target; when the block succeeds, each takes its target's place
    (file or folder), one right after the other; when it fails, every target is left as it was."""
    targets = tuple(Path(t) for t in targets)
    temps = []
    try:
        for target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            temps.append(Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent)) / target.name)
        yield temps
        for tmp, target in zip(temps, targets):
            _replace(tmp, target)
    finally:
        for tmp in temps:
            shutil.rmtree(tmp.parent, ignore_errors=True)


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temp path beside `target`; on success it takes `target`'s place (file or folder)."""
    with atomic_paths(target) as (tmp,):
        yield tmp


def write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def dump_line(obj: Any) -> bytes:
    """Canonical JSON for artifact lines: same object -> same bytes (orjson: sorted keys, UTF-8,
    no spaces; several times faster than the json module, which showed at 100k examples)."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


def dumps(obj: Any) -> str:
    """dump_line() as text."""
    return dump_line(obj).decode()


def write_json(path: Path, obj: Any) -> None:
    write_text(path, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def write_jsonl(path: Path, rows: Iterable[Any]) -> int:
    n = 0
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(dumps(row) + "\n")
            n += 1
    return n


def write_lines(path: Path, lines: Iterable[bytes]) -> int:
    """Write JSONL from lines already rendered by dump_line() (without their newlines)."""
    n = 0
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        for line in lines:
            f.write(line + b"\n")
            n += 1
    return n


def raw_chunks(path: Path, size: int) -> Iterator[tuple[int, list[str]]]:
    """A JSONL file's lines, `size` at a time, unparsed: (the first one's line number, the lines)."""
    lines: list[str] = []
    first = 1
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not lines:
                first = lineno
            lines.append(line)
            if len(lines) == size:
                yield first, lines
                lines = []
    if lines:
        yield first, lines


def parsed_lines(path: Path, first: int, lines: list[str]) -> Iterator[tuple[str, dict]]:
    """(line, its JSON object) for lines numbered from `first`, blank lines skipped; a malformed
    line raises InputError naming file and line."""
    for lineno, line in enumerate(lines, first):
        if not line.strip():
            continue
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError as e:
            raise InputError(f"{path}:{lineno}: not valid JSON ({e.msg}, column {e.colno})") from None
        if not isinstance(row, dict):
            raise InputError(f"{path}:{lineno}: expected a JSON object, got {type(row).__name__}")
        yield line, row


def parse_lines(path: Path, first: int, lines: list[str]) -> list[dict]:
    """The JSON objects of lines numbered from `first` (blank lines skipped)."""
    return [row for _, row in parsed_lines(path, first, lines)]


def read_jsonl(path: Path) -> list[dict]:
    """Read a JSONL file; a malformed line raises InputError naming file and line."""
    return [row for first, lines in raw_chunks(path, 65536) for row in parse_lines(path, first, lines)]


def read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise InputError(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from None


@contextlib.contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bulk pass over parsed JSON. Parsed rows are
    trees (no reference cycles: reference counting frees them), but each collection walks every live
    container, so while a chunk of parsed rows is alive the collector costs more than the parsing:
    keeping 100k parsed examples took 3.0 s with it and 0.8 s without (bench.clean's synthetic
    examples, timed by a throwaway script during issue 24: an indication)."""
    import gc

    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class Spool:
    """Rows kept in an unnamed temporary file instead of memory, read back by number: a stage that
    must hold every row of a million-row file until it knows their order keeps 8 bytes each here."""

    def __init__(self, folder: Path) -> None:
        from array import array

        Path(folder).mkdir(parents=True, exist_ok=True)
        self.file = tempfile.TemporaryFile(dir=folder)  # beside the outputs: /tmp may be memory
        self.ends = array("q", [0])
        self.flushed = True

    def append(self, row: bytes) -> None:
        self.file.write(row)
        self.ends.append(self.ends[-1] + len(row))
        self.flushed = False

    def __len__(self) -> int:
        return len(self.ends) - 1

    def __getitem__(self, i: int) -> bytes:
        if not self.flushed:
            self.file.flush()
            self.flushed = True
        return os.pread(self.file.fileno(), self.ends[i + 1] - self.ends[i], self.ends[i])

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc) -> None:
        self.file.close()
