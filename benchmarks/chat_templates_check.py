"""`export --format hf --chat-template T` for every tool template: kept and skipped rows, then a re-render.

    .venv/bin/python benchmarks/chat_templates_check.py [--bfcl 2167] [--generated 0] [--parquet]

BFCL-style dialogs (dotted names, integer enums, parallel calls; as many as BFCL's 2,167 ground-truth
dialogs by default) and optionally the format tests' generated dialogs of every kind. For each of TRL's
tool templates and Mistral's official ones (made by mistral-common): the export's kept and skipped
rows against the rows the template can express, then the export loaded with `datasets` and rendered by
`apply_chat_template` as TRL's SFTTrainer does, counting errors and double-encoded arguments.
Needs the test extra.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from test_formats_data import make_dialogs, write_dialogs  # noqa: E402
from toolace.formats.export import export_dialogs  # noqa: E402
from toolace.testing import bfcl_like  # noqa: E402
from toolace.testing.consumers import (  # noqa: E402
    CANNOT, MISTRAL_VERSIONS, TRL_TOOL_TEMPLATES, render_loaded, template_file,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bfcl", type=int, default=2167)
    parser.add_argument("--generated", type=int, default=0, help="also this many generated dialogs of every kind")
    parser.add_argument("--parquet", action="store_true", help="export and load Parquet instead of JSONL")
    parser.add_argument("--templates", nargs="+", default=TRL_TOOL_TEMPLATES + [f"mistral_{v}" for v in MISTRAL_VERSIONS])
    args = parser.parse_args()
    dialogs = bfcl_like.make_dialogs(args.bfcl) + (make_dialogs(args.generated, seed=5) if args.generated else [])
    suffix = "parquet" if args.parquet else "jsonl"
    print(f"{len(dialogs)} dialogs ({args.bfcl} BFCL-style, {args.generated} generated), {suffix}")
    print("| template | variant | expressible | kept | kept/expressible | skipped (reason: rows) | "
          "loaded + rendered | errors | double-encoded | s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        source = write_dialogs(Path(tmp) / "dialogs.jsonl", dialogs)
        for name in args.templates:
            started = time.perf_counter()
            template = template_file(name, Path(tmp))
            out = Path(tmp) / f"{name}.{suffix}"
            stats = asyncio.run(export_dialogs(source, "hf", out, parquet=args.parquet, chat_template=template))
            summary = json.loads((Path(tmp) / f"{name}.stats.json").read_text())["chat_template"]
            cannot = CANNOT.get(name, lambda d: False)
            expressible = sum(not cannot(d) for d in dialogs)
            rendered = render_loaded(out, template)
            reasons = ", ".join(f"{k}: {v}" for k, v in sorted(stats.reasons.items())) or "none"
            variant = ", ".join(summary["variant"]) + (" results as JSON strings" if summary.get(
                "results_as_json_strings") else "") or "as is"
            print(f"| {name} | {variant} | {expressible} | {stats.kept} | {stats.kept / max(expressible, 1):.1%} | "
                  f"{reasons} | {rendered.rows} | {len(rendered.errors)} | {len(rendered.double_encoded)} | "
                  f"{time.perf_counter() - started:.1f} |", flush=True)


if __name__ == "__main__":
    main()
