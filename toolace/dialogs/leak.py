"""Text that repeats toolace's own agent instructions (a leaked prompt), found by word runs.

A weak or confused model sometimes writes its instructions into the message ("Your task: Ask for
something that needs ..."). The sign is a run of ``n`` consecutive words taken from the static text
of the user, assistant or tool agent templates (never across a ``$placeholder``, whose values are
the dialog's own content); ordinary speech does not reproduce five words of an instruction in a row.
gen-dialogs drops such a dialog at once; verify's ``prompt_leak`` rule catches it in any input.
"""

from __future__ import annotations

import re
from functools import lru_cache

from toolace.prompts import load_prompt

AGENT_PROMPTS = ("dialog_user", "dialog_assistant", "dialog_tool")
LEAK_WORDS = 5
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_PLACEHOLDER = re.compile(r"\$(?:\w+|\{\w+\})")
_NOT_INSTRUCTIONS = {"styles"}  # short descriptions of a persona, which a user may well voice


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@lru_cache(maxsize=8)
def instruction_runs(n: int) -> dict[tuple[str, ...], str]:
    """Every run of ``n`` consecutive static words of the agent templates -> the template it is from."""
    runs: dict[tuple[str, ...], str] = {}
    for name in AGENT_PROMPTS:
        for section, template in load_prompt(name).sections.items():
            if section in _NOT_INSTRUCTIONS:
                continue
            for chunk in _PLACEHOLDER.split(template.template):
                for line in chunk.splitlines():
                    tokens = words(line)
                    for i in range(len(tokens) - n + 1):
                        runs.setdefault(tuple(tokens[i:i + n]), name)
    return runs


def leaked(text: str, n: int = LEAK_WORDS) -> tuple[str, str] | None:
    """``(template name, the repeated words)`` of the first instruction run in ``text``, or None."""
    if n <= 0:
        return None
    runs, tokens = instruction_runs(n), words(text)
    for i in range(len(tokens) - n + 1):
        source = runs.get(tuple(tokens[i:i + n]))
        if source:
            return source, " ".join(tokens[i:i + n])
    return None
