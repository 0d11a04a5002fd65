"""Examples on the report page: a few kept and a few rejected dialogs, across kinds, shown as chats.

People want to look at samples before they train on 100k of them: each example shows the turns,
the calls with their arguments, the results, the assistant's recorded thought, and for a rejected
dialog every failure with its check id. Files are read only until enough examples are found.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

from toolace.jsonl import iter_jsonl

KEPT_FILES = ("verified.jsonl", "dialogs.jsonl")
REJECTED_FILES = ("rejected.jsonl", "verified.rejected.jsonl")

CSS = """
.chat { background: #fff; border: 1px solid #e3e3e3; border-radius: 8px; padding: 10px 14px; margin: 0 0 14px;
        max-width: 1000px; }
.chat h3 { margin: 0 0 8px; }
.turn { margin: 4px 0; padding: 6px 10px; border-radius: 6px; font-size: 13px; white-space: pre-wrap; }
.turn b { font-size: 11px; text-transform: uppercase; color: #666; display: block; }
.user { background: #eef3fb; } .assistant { background: #f3f9ef; } .tool { background: #f7f3fb; }
.system { background: #f4f4f4; } .thought { color: #555; font-style: italic; border-left: 3px solid #ccc;
          padding-left: 8px; margin: 2px 0 4px; }
.call { font-family: ui-monospace, monospace; font-size: 12px; }
.failures { color: #a10000; font-size: 13px; margin: 6px 0 0; }
"""


def as_dialog(row: dict[str, Any]) -> dict[str, Any]:
    """A rejected record (the runner's one shape) as the dialog it dropped, carrying the failures."""
    record = row.get("record") if isinstance(row.get("record"), dict) else {}
    verdict = record.get("verdict") if isinstance(record.get("verdict"), dict) else {}
    return {**record, "id": row.get("id"), "verdict": {**verdict, "failures": row.get("failures") or []},
            "reason": row.get("reason")}


def pick(path: Path | None, count: int, read: Callable[[dict], dict] = lambda r: r) -> list[dict[str, Any]]:
    """Up to ``count`` records of ``path`` (each as ``read`` gives it), one kind after another, so that
    every kind shows early."""
    if path is None or not path.is_file():
        return []
    by_kind: dict[str, list[dict]] = {}
    for _, row in iter_jsonl(path):
        if not isinstance(row, dict):
            continue
        record = read(row)
        group = by_kind.setdefault(str(record.get("kind", "imported")), [])
        if len(group) < count:
            group.append(record)
        if sum(len(g) for g in by_kind.values()) >= count * 4 and len(by_kind) >= count:
            break
    chosen: list[dict] = []
    for depth in range(count):  # round-robin over the kinds
        chosen += [group[depth] for group in by_kind.values() if depth < len(group)]
    return chosen[:count]


def _thoughts(record: dict) -> dict[int, dict]:
    thoughts = (record.get("meta") or {}).get("thoughts")
    return {t["message"]: t for t in thoughts if isinstance(t, dict) and isinstance(t.get("message"), int)} \
        if isinstance(thoughts, list) else {}


def _json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def chat_html(record: dict[str, Any]) -> str:
    """One dialog as a chat: turns, thoughts, calls, results, and the verdict's failures."""
    thoughts = _thoughts(record)
    parts = [f'<div class="chat"><h3>{escape(str(record.get("kind", "")))} · {escape(str(record.get("id", "")))}</h3>']
    messages = record.get("messages") if isinstance(record.get("messages"), list) else []
    for index, message in enumerate(m for m in messages if isinstance(m, dict)):
        role = str(message.get("role", ""))
        body = []
        if index in thoughts:
            thought = {k: v for k, v in thoughts[index].items() if k != "message"}
            body.append(f'<div class="thought">thought: {escape(_json(thought))}</div>')
        if message.get("content") not in (None, ""):
            body.append(escape(_json(message["content"])))
        for call in message.get("tool_calls") or []:
            if isinstance(call, dict):
                body.append(f'<div class="call">→ {escape(str(call.get("name")))}'
                            f'({escape(_json(call.get("arguments", {})))})</div>')
        label = f"tool {message.get('name', '')}" if role == "tool" else role
        parts.append(f'<div class="turn {escape(role)}"><b>{escape(label)}</b>{"".join(body)}</div>')
    verdict = record.get("verdict") if isinstance(record.get("verdict"), dict) else None
    if verdict and verdict.get("failures"):
        items = "".join(f"<li><code>{escape(str(f.get('check')))}</code> {escape(str(f.get('message', '')))}"
                        + (f" <small>({escape(str(f['path']))})</small>" if f.get("path") else "") + "</li>"
                        for f in verdict["failures"] if isinstance(f, dict))
        parts.append(f'<ul class="failures">{items}</ul>')
    elif record.get("reason"):  # dropped with no check named
        parts.append(f'<ul class="failures"><li><code>{escape(str(record["reason"]))}</code></li></ul>')
    parts.append("</div>")
    return "".join(parts)


def _first(run_dir: Path, names: tuple[str, ...]) -> Path | None:
    return next((run_dir / n for n in names if (run_dir / n).is_file()), None)


def examples_html(run_dir: Path, count: int = 4) -> str:
    """The page section body: kept examples, then rejected ones, or a note of what is missing."""
    out = []
    for title, names, read in (("Kept", KEPT_FILES, lambda r: r), ("Rejected", REJECTED_FILES, as_dialog)):
        path = _first(run_dir, names)
        records = pick(path, count, read)
        out.append(f"<h3>{title} ({escape(path.name) if path else 'no file'})</h3>")
        out += [chat_html(r) for r in records] or ['<p class="missing">Missing: no dialogs to show.</p>']
    return "".join(out)
