"""``toolace export``: canonical (verified) dialogs -> one training format, with augmentation.

Dialogs stream through one at a time (memory stays flat); each is augmented, its names fitted to
the format's rules (``names``), then formatted, and with ``--chat-template`` (hf) adapted to and
checked by the template (``chat_templates``); a dialog the format or the template cannot carry is
counted by reason and listed in ``<out>.skipped.jsonl`` (rejected records, in the runner's one
shape). The output appears only when complete.
Counters and settings go to ``<out>.stats.json``; for ShareGPT the ``dataset_info.json`` entry is
written beside the output.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from toolace.config import ExportConfig
from toolace.errors import InputError
from toolace.formats import FORMATS, granite, sharegpt
from toolace.formats.augment import augment
from toolace.formats.chat_templates import TemplateAdapter, load_template
from toolace.formats.names import fit_names
from toolace.formats.outputs import AtomicOutput
from toolace.formats.turns import RowProblem
from toolace.jobs import Outcome, Rejection
from toolace.jsonl import read_jsonl
from toolace.options import settle
from toolace.records import Dialog
from toolace.run_stats import RunStats, save_stats
from toolace.runner import Recorder


def beside(out: Path, suffix: str) -> Path:
    """``export/xlam.jsonl`` -> ``export/xlam<suffix>`` (also for ``.parquet``)."""
    out = Path(out)
    return out.with_name(out.name.rsplit(".", 1)[0] + suffix if "." in out.name else out.name + suffix)


def _row_maker(fmt: str, granite_tasks: tuple[str, ...], reasoning: bool):
    """The exporter function of ``fmt`` with its options."""
    module = FORMATS[fmt].exporter
    if reasoning:
        if not getattr(module, "CARRIES_REASONING", False):
            carriers = [n for n, f in FORMATS.items() if getattr(f.exporter, "CARRIES_REASONING", False)]
            raise InputError(f"--reasoning: the {fmt} format has no place for reasoning; use {' or '.join(carriers)}")
        return module.make_exporter(reasoning=True)
    return granite.make_exporter(granite_tasks) if fmt == "granite" else module.export_rows


async def export_dialogs(source: Path, fmt: str, out: Path, *, seed: int = 0, dataset_name: str | None = None,
                         config: ExportConfig | None = None, **options: Any) -> RunStats:
    """Write ``source`` dialogs to ``out`` in format ``fmt``; returns the counters (also saved).

    The settings are ``ExportConfig``'s: ``config`` (else the defaults) with ``options`` (``parquet=``,
    ``mask_functions=``, ...) laid over it, validated as the CLI and the run config validate them.
    """
    settings = settle(ExportConfig, options, config)
    parquet, mask, irrelevance, reasoning = (settings.parquet, settings.mask_functions, settings.irrelevance,
                                             settings.reasoning)
    granite_tasks, with_meta, names = tuple(settings.granite_tasks), settings.meta, settings.names
    chat_template = Path(settings.chat_template) if settings.chat_template else None
    if fmt not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if chat_template is not None and fmt != "hf":
        raise InputError(f"--chat-template renders hf rows; use --format hf, not {fmt!r}")
    module, rule = FORMATS[fmt].exporter, FORMATS[fmt].names
    rows_of = _row_maker(fmt, granite_tasks, reasoning)
    adapter = TemplateAdapter(load_template(chat_template), reasoning) if chat_template is not None else None
    stats = RunStats(runs=1)
    started = time.perf_counter()
    schema = module.parquet_schema() if parquet else None
    with AtomicOutput(out, parquet_schema=schema, json_columns=module.JSON_COLUMNS) as output, \
            AtomicOutput(beside(out, ".skipped.jsonl")) as skipped:
        recorder = Recorder("export", stats, rejected=skipped)  # rows are written below: a dialog makes several
        for dialog in read_jsonl(source, Dialog):
            dialog, applied = augment(dialog, seed=seed, mask=mask, irrelevance=irrelevance)
            counters, notes = Counter(f"augmented: {name}" for name in applied), Counter()
            try:
                renamed = {}
                if rule is not None:
                    dialog, renamed = fit_names(dialog, rule, names)
                made = rows_of(dialog, notes)
                if adapter is not None:
                    made = [adapter.adapt(row, dialog.id) for row in made]
            except RowProblem as e:
                recorder.record(dialog.id, Outcome(rejected=Rejection.of(e.reason, e.detail), counters=counters))
                continue
            counters["dialogs with renamed names"] += bool(renamed)
            for row in made:
                if not with_meta:
                    row.pop("meta", None)
                elif renamed:
                    row["meta"]["renamed"] = renamed
                counters["rows written"] += 1
                if "task" in row:
                    counters[f"rows: {row['task']}"] += 1
                output.write(row)
            counters.update({f"note: {k}": v for k, v in notes.items()})
            recorder.record(dialog.id, Outcome(kept=dialog.id, counters=+counters))
    stats.elapsed = time.perf_counter() - started
    if fmt == "sharegpt":
        sharegpt.write_dataset_info(out, dataset_name or f"toolace_{Path(out).name.split('.')[0]}")
    stats.facts = {
        "format": fmt, "source": str(source), "out": str(out), "file_type": "parquet" if parquet else "jsonl",
        "augment": {"mask_functions": mask, "irrelevance": irrelevance, "seed": seed},
        "names": {"rule": rule.label if rule else None, "policy": names},
        **({"reasoning": True} if reasoning else {}),
        **({"chat_template": adapter.summary()} if adapter is not None else {}),
        **({"granite_tasks": list(granite_tasks)} if fmt == "granite" else {}),
    }
    save_stats(beside(out, ".stats.json"), stats, "export")
    return stats
