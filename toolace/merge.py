"""Merge the outputs of shards (``--shard I/N``) into one: JSONL files de-duplicated by id, stats summed.

Records stream through; only their keys are held in memory. Each merged file is written under a
temporary name and renamed, so a failed merge never leaves a half file.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from toolace.errors import InputError
from toolace.jsonl import JsonlWriter, iter_jsonl
from toolace.runner import write_json_atomic

RUN_FILES = ["apis.jsonl", "apis.rejected.jsonl", "dialogs.jsonl", "dialogs.rejected.jsonl",
             "verified.jsonl", "rejected.jsonl"]


def record_key(record: Any) -> str:
    """A record's identity: its ``id``, else (APIs) its ``name``, else its canonical bytes."""
    if isinstance(record, dict):
        if "id" in record:
            return str(record["id"])
        if "name" in record:
            return "name:" + str(record["name"])
    return "bytes:" + orjson.dumps(record, option=orjson.OPT_SORT_KEYS).decode()


def merge_jsonl(inputs: list[Path], out: Path) -> tuple[int, int]:
    """Concatenate JSONL files keeping the first record of each key; returns (written, duplicates)."""
    tmp = out.with_name(out.name + ".partial")
    tmp.unlink(missing_ok=True)
    seen: set[str] = set()
    duplicates = 0
    try:
        with JsonlWriter(tmp) as writer:
            for path in inputs:
                for _, record in iter_jsonl(path):
                    key = record_key(record)
                    if key in seen:
                        duplicates += 1
                        continue
                    seen.add(key)
                    writer.write(record)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return len(seen), duplicates


def sum_stats(paths: list[Path]) -> dict[str, Any]:
    """Add up ``*.stats.json`` files of the ``RunStats.to_dict()`` shape (numbers and counters)."""
    total: dict[str, Any] = {}
    for path in paths:
        data = orjson.loads(path.read_bytes())
        _add(total, data)
    return total


def _add(total: dict, data: dict) -> None:
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, dict)):
            total.setdefault(key, value)
        elif isinstance(value, dict):
            _add(total.setdefault(key, {}), value)
        else:
            total[key] = total.get(key, 0) + value


def merge_runs(run_dirs: list[Path], out_dir: Path) -> Counter:
    """Merge shard run directories file by file into ``out_dir``; returns records written per file."""
    for run_dir in run_dirs:
        if not run_dir.is_dir():
            raise InputError(f"{run_dir}: not a run directory")
    out_dir.mkdir(parents=True, exist_ok=True)
    written: Counter = Counter()
    for name in RUN_FILES:
        inputs = [d / name for d in run_dirs if (d / name).exists()]
        if inputs:
            written[name], _ = merge_jsonl(inputs, out_dir / name)
    stat_names = {p.name for d in run_dirs for p in d.glob("*.stats.json")}
    for name in sorted(stat_names):
        write_json_atomic(out_dir / name, sum_stats([d / name for d in run_dirs if (d / name).exists()]))
    return written
