"""BFCL's ground truth through toolace: every category imports, and every valid call is kept.

    python benchmarks/bfcl_groundtruth.py PATH/TO/bfcl_eval/data

1. ``import-apis --format bfcl`` on every data file of BFCL (all categories, the multi-turn
   function docs included): definitions read, kept, rejected by reason, per file.
2. For the categories with a single-turn ground truth (``possible_answer``), one call-only dialog
   per entry: BFCL's messages, then the ground-truth calls (for each argument the first accepted
   value; an argument whose first accepted value is "" is left out, as BFCL allows). A dialog whose
   calls are valid under a strict JSON Schema reading of the imported tools (jsonschema 2020-12, no
   argument a tool does not define, no format checks) should pass ``verify --rules-only``; the
   script counts how many do.

BFCL's data is not shipped with toolace (Apache-2.0, ShishirPatil/gorilla on GitHub).
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

from jsonschema import Draft202012Validator

from toolace.formats.imports import import_apis
from toolace.formats.tools import ToolConversionError, api_from_bfcl
from toolace.records import Dialog
from toolace.verify.rules import check_rules

try:
    from toolace.verify.rules import rule_verdict
except ImportError:  # a toolace from before warnings, for comparison
    rule_verdict = None

AST_CATEGORIES = ("simple_python", "simple_java", "simple_javascript", "multiple", "parallel", "parallel_multiple",
                  "live_simple", "live_multiple", "live_parallel", "live_parallel_multiple")


def pick(accepted):
    """The first accepted value of a ground-truth argument; dicts pick inside; "" means leave it out."""
    value = accepted[0] if isinstance(accepted, list) and accepted else accepted
    if isinstance(value, dict):
        return {k: pick(v) for k, v in value.items() if pick(v) != ""}
    return value


def strictly_valid(arguments: dict, parameters: dict) -> bool:
    """Valid under JSON Schema 2020-12 with the tool's arguments closed (no argument it does not define)."""
    closed = {**parameters, "additionalProperties": parameters.get("additionalProperties", False)}
    return Draft202012Validator(closed).is_valid(arguments)


def dialogs(data: Path):
    for category in AST_CATEGORIES:
        questions = [json.loads(line) for line in (data / f"BFCL_v4_{category}.json").read_text().splitlines()]
        answers = {a["id"]: a for a in map(json.loads, (data / "possible_answer" / f"BFCL_v4_{category}.json")
                                           .read_text().splitlines())}
        for entry in questions:
            yield category, entry, answers[entry["id"]]["ground_truth"]


def check_ground_truth(data: Path) -> Counter:
    counts = Counter()
    for category, entry, truth in dialogs(data):
        counts["dialogs"] += 1
        try:
            tools = [api_from_bfcl(f) for f in entry["function"]]
        except ToolConversionError as e:
            counts[f"tools not imported ({e.reason})"] += 1
            continue
        calls = [{"id": f"c{i}", "name": name, "arguments": {k: pick(v) for k, v in args.items() if pick(v) != ""}}
                 for i, call in enumerate(truth) for name, args in call.items()]
        by_name = {t.name: t for t in tools}
        valid = all(c["name"] in by_name and strictly_valid(c["arguments"], by_name[c["name"]].parameters)
                    for c in calls)
        messages = [m for m in entry["question"][0] if m["role"] in ("system", "user")]
        dialog = Dialog.model_validate({"id": entry["id"], "tools": [t.to_dict() for t in tools],
                                        "messages": [*messages, {"role": "assistant", "tool_calls": calls}]},
                                       context={"lenient_schema": True})
        failures = check_rules(dialog)
        counts["valid calls" if valid else "invalid calls"] += 1
        if valid:
            counts["valid calls kept" if not failures else "valid calls rejected"] += 1
            if not failures and rule_verdict is not None and rule_verdict(dialog)[1]:
                counts["valid calls kept, with warnings"] += 1
            for check in sorted({f.check for f in failures}):
                counts[f"  valid but rejected by {check}"] += 1
    return counts


async def import_every_file(data: Path) -> list[tuple[str, int, int, int, dict]]:
    rows = []
    files = sorted(data.glob("BFCL_v4_*.json")) + sorted((data / "multi_turn_func_doc").glob("*.json"))
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            first = path.read_text().split("\n", 1)[0]
            if path.name.startswith("BFCL_v4_") and '"function"' not in first:
                continue  # an index of ids, or questions whose tools are in multi_turn_func_doc/
            stats = await import_apis([path], "bfcl", Path(tmp) / "apis.jsonl")
            read = stats.counters.get("definitions read", 0)
            rows.append((path.name, read, stats.kept, stats.rejected, dict(stats.reasons)))
    return rows


def main(data: Path) -> None:
    total = Counter()
    for name, read, kept, rejected, reasons in asyncio.run(import_every_file(data)):
        total.update(read=read, kept=kept, rejected=rejected)
        print(f"import {name:45} read {read:5} kept {kept:5} rejected {rejected:4} {reasons or ''}")
    print(f"import all files: read {total['read']}, kept {total['kept']}, rejected {total['rejected']}")
    for key, value in check_ground_truth(data).items():
        print(f"ground truth: {key}: {value}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
