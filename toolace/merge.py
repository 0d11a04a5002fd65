"""Merge the outputs of shards (``--shard I/N``) into one: JSONL files de-duplicated by id, stats added.

Records stream through; only their keys are held in memory. Each merged file is written under a
temporary name and renamed, so a failed merge never leaves a half file. Stats files add their counts
(``RunStats``); shares and the stage's figures are recomputed from the sum, never added.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from toolace.apis.stats import api_figures
from toolace.dialogs.generate import dialog_figures
from toolace.errors import InputError
from toolace.jsonl import JsonlWriter, iter_jsonl, write_json_atomic
from toolace.run_stats import COUNT_KEYS, Figures, RunStats, stats_record
from toolace.verify.run import verify_figures

# The figures each stage derives from its counts (as its run wrote them), by the stage named in a stats file.
FIGURES: dict[str, Figures] = {"synth-apis": api_figures, "gen-dialogs": dialog_figures, "verify": verify_figures}
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


def merge_stats(paths: list[Path], out: Path | None = None) -> dict[str, Any]:
    """Shards' stats files as one: counts added, the mix and the stage's figures recomputed from the sum
    (and from ``out``, the merged output, for figures of what it holds), the runs' facts kept where
    every shard agrees and listed shard by shard where not."""
    shards = [orjson.loads(path.read_bytes()) for path in paths]
    total = RunStats()
    for data in shards:
        total.add(RunStats.from_dict(data))
    total.skipped = sum(data.get("skipped", 0) for data in shards)
    stage = str(shards[0].get("stage", "run"))
    own = FIGURES[stage](total, out) if stage in FIGURES else {}
    derived = {*COUNT_KEYS, *own, "stage", "mix", "skipped"}
    for key in dict.fromkeys(k for data in shards for k in data if k not in derived):
        values = [data.get(key) for data in shards]
        total.facts[key] = values[0] if all(v == values[0] for v in values) else values
    return stats_record(total, stage, lambda stats, out: own)


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
        merged_out = out_dir / (name.removesuffix(".stats.json") + ".jsonl")
        write_json_atomic(out_dir / name, merge_stats([d / name for d in run_dirs if (d / name).exists()],
                                                      merged_out if merged_out.exists() else None))
    return written
