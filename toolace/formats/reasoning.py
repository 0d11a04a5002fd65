"""The assistant's structured thought as reasoning text, for ``export --reasoning``.

gen-dialogs records one thought per assistant decision in ``meta.thoughts``:
``{"message": i, "intent": ..., "tools": [...], "sources": [{"argument", "source"}], "agreed": "3/3"}``,
where ``i`` is the index of the assistant message it led to. Exporters that carry reasoning
(``reasoning_content`` in hf and openai rows) take the text from here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from toolace.formats.turns import row_meta
from toolace.records import Dialog

SOURCE_WORDS = {"user": "from the user", "earlier_result": "from an earlier result", "default": "the default",
                "inferred": "inferred"}


def thought_text(thought: dict[str, Any]) -> str:
    """One thought as a few plain lines: the intent, the tools chosen, where each argument comes from."""
    lines = [str(thought.get("intent", "")).strip()]
    tools = [t for t in dict.fromkeys(thought.get("tools") or []) if isinstance(t, str)]
    if tools:
        lines.append("Tools: " + ", ".join(tools) + ".")
    sources = [s for s in thought.get("sources") or [] if isinstance(s, dict) and s.get("argument")]
    if sources:
        lines.append("Arguments: " + "; ".join(
            f"{s['argument']} {SOURCE_WORDS.get(s.get('source'), s.get('source') or '')}".strip() for s in sources) + ".")
    return "\n".join(line for line in lines if line)


def thoughts_by_message(dialog: Dialog) -> dict[int, str]:
    """Reasoning text per assistant message index; messages without a recorded thought are absent."""
    thoughts = dialog.meta.get("thoughts")
    out: dict[int, str] = {}
    if not isinstance(thoughts, list):
        return out
    for thought in thoughts:
        index = thought.get("message") if isinstance(thought, dict) else None
        if isinstance(index, int) and 0 <= index < len(dialog.messages) \
                and dialog.messages[index].role == "assistant":
            text = thought_text(thought)
            if text:
                out[index] = text
    return out


def chat_exporter(message_of: Callable[[Any, str | None], dict], tools_of: Callable[[Dialog], Any],
                  reasoning: bool = False):
    """An exporter of ``{"messages", "tools", "meta"}`` rows; ``message_of(message, reasoning_text)``."""

    def export_rows(dialog: Dialog, notes: Counter) -> list[dict[str, Any]]:
        thoughts = thoughts_by_message(dialog) if reasoning else {}
        if reasoning:
            notes["assistant turns with reasoning"] += len(thoughts)
        return [{"messages": [message_of(m, thoughts.get(i)) for i, m in enumerate(dialog.messages)],
                 "tools": tools_of(dialog), "meta": row_meta(dialog)}]

    return export_rows
