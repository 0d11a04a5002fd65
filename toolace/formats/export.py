"""``toolace export``: canonical (verified) dialogs -> one training format, with augmentation.

Dialogs stream through one at a time (memory stays flat); each is augmented, then formatted; a
dialog the format cannot carry is counted by reason and listed in ``<out>.skipped.jsonl``. The
output appears only when complete. Counters and settings go to ``<out>.stats.json``; for ShareGPT
the ``dataset_info.json`` entry is written beside the output.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from toolace.errors import InputError
from toolace.formats import EXPORTERS, granite, sharegpt
from toolace.formats.augment import HAMMER_ALPHABET, augment
from toolace.formats.outputs import AtomicOutput
from toolace.formats.turns import RowProblem
from toolace.jsonl import read_jsonl
from toolace.records import Dialog
from toolace.runner import RunStats, write_json_atomic


def beside(out: Path, suffix: str) -> Path:
    """``export/xlam.jsonl`` -> ``export/xlam<suffix>`` (also for ``.parquet``)."""
    out = Path(out)
    return out.with_name(out.name.rsplit(".", 1)[0] + suffix if "." in out.name else out.name + suffix)


def _share(value: float, option: str) -> float:
    if not 0.0 <= value <= 1.0:
        raise InputError(f"{option} must be a share between 0 and 1, not {value}")
    return value


def parse_tasks(text: str | None) -> tuple[str, ...]:
    """``--granite-tasks a,b`` -> the task names, checked; None means all seven."""
    if not text:
        return granite.TASKS
    tasks = tuple(t.strip() for t in text.split(",") if t.strip())
    unknown = [t for t in tasks if t not in granite.TASKS]
    if unknown:
        raise InputError(f"--granite-tasks: unknown task {unknown[0]!r}; choose from {', '.join(granite.TASKS)}")
    return tasks


async def export_dialogs(source: Path, fmt: str, out: Path, *, parquet: bool = False, mask: float = 0.0,
                         irrelevance: float = 0.0, granite_tasks: tuple[str, ...] = granite.TASKS,
                         seed: int = 0, with_meta: bool = True, dataset_name: str | None = None) -> RunStats:
    """Write ``source`` dialogs to ``out`` in format ``fmt``; returns the counters (also saved)."""
    if fmt not in EXPORTERS:
        raise InputError(f"--format must be one of {', '.join(EXPORTERS)}, not {fmt!r}")
    _share(mask, "--mask-functions")
    _share(irrelevance, "--irrelevance")
    module = EXPORTERS[fmt]
    rows_of = granite.make_exporter(granite_tasks) if fmt == "granite" else module.export_rows
    # OpenAI function names must match ^[a-zA-Z0-9_-]+$, so masked names there go without dots.
    alphabet = HAMMER_ALPHABET.replace(".", "") if fmt == "openai" else HAMMER_ALPHABET
    stats, notes, rows = RunStats(), Counter(), Counter()
    started = time.perf_counter()
    schema = module.parquet_schema() if parquet else None
    with AtomicOutput(out, parquet_schema=schema, json_columns=module.JSON_COLUMNS) as output, \
            AtomicOutput(beside(out, ".skipped.jsonl")) as skipped:
        for dialog in read_jsonl(source, Dialog):
            dialog, applied = augment(dialog, seed=seed, mask=mask, irrelevance=irrelevance, alphabet=alphabet)
            stats.counters.update(f"augmented: {name}" for name in applied)
            try:
                made = rows_of(dialog, notes)
            except RowProblem as e:
                stats.rejected += 1
                stats.reasons[e.reason] += 1
                skipped.write({"id": dialog.id, "reason": e.reason, "detail": e.detail})
                continue
            stats.kept += 1
            for row in made:
                if not with_meta:
                    row.pop("meta", None)
                rows["rows written"] += 1
                if "task" in row:
                    rows[f"rows: {row['task']}"] += 1
                output.write(row)
    stats.elapsed = time.perf_counter() - started
    stats.counters.update(rows)
    stats.counters.update({f"note: {k}": v for k, v in notes.items()})
    if fmt == "sharegpt":
        sharegpt.write_dataset_info(out, dataset_name or f"toolace_{Path(out).name.split('.')[0]}")
    write_json_atomic(beside(out, ".stats.json"), {
        **stats.to_dict(), "format": fmt, "source": str(source), "out": str(out),
        "file_type": "parquet" if parquet else "jsonl",
        "augment": {"mask_functions": mask, "irrelevance": irrelevance, "seed": seed},
        **({"granite_tasks": list(granite_tasks)} if fmt == "granite" else {}),
    })
    return stats
