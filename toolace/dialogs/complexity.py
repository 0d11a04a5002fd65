"""How hard a dialog is: ToolACE's levers as a heuristic score, and the learner's own loss on request.

ToolACE measures complexity as the loss of the model being trained on the assistant turns, and
steers it with more candidate APIs, more calls, and requests worded further from the API
descriptions. The heuristic reports those levers; ``learner_nll`` reads the real loss from a vLLM
endpoint's ``prompt_logprobs`` when a complexity model is given.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from toolace.errors import InputError
from toolace.llm.base import LLMClient, Usage
from toolace.records import Api, AssistantMessage, Dialog, ToolMessage, UserMessage

_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    "the and for with from that this what which when where who how are was were will would can could "
    "should have has had you your yours our ours their them they its it's into onto about over under "
    "please need want like just also some any all each per get gets given give use uses using via "
    "not but then than there here been being does did done make makes let".split())


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> set[str]:
    """Lower-cased, crudely stemmed words of 3+ letters that carry meaning."""
    return {_stem(w) for w in _WORD.findall(text.lower().replace("_", " ")) if len(w) >= 3 and w not in _STOPWORDS}


def distance(request: str, descriptions: list[str]) -> float:
    """1 - the largest share of a description's words that the request repeats (0 = copied, 1 = none)."""
    said = content_words(request)
    shares = [len(said & words) / len(words) for words in map(content_words, descriptions) if words]
    return round(1.0 - max(shares), 3) if shares else 1.0


def dependency_depth(calls: int, dependencies: list[dict[str, Any]]) -> int:
    """Longest chain of calls where each takes an argument from the previous one's result."""
    if not calls:
        return 0
    depth: dict[str, int] = {}
    for dep in dependencies:  # dependencies are listed in call order, producers first
        depth[dep["call"]] = max(depth.get(dep["call"], 1), depth.get(dep["from_call"], 1) + 1)
    return max(depth.values(), default=1)


def heuristic(dialog: Dialog, targets: list[Api], dependencies: list[dict[str, Any]]) -> dict[str, Any]:
    """The levers of one dialog and a 0-1 score combining them (more, deeper, further = harder)."""
    calls = len(dialog.calls())
    depth = dependency_depth(calls, dependencies)
    request = " ".join(m.content for m in dialog.messages if isinstance(m, UserMessage))
    described = targets or dialog.tools
    dist = distance(request, [f"{a.name} {a.description}" for a in described])
    candidates = len(dialog.tools)
    score = (0.2 * min(candidates - 1, 7) / 7 + 0.3 * min(calls, 4) / 4 + 0.2 * min(depth, 3) / 3
             + 0.3 * dist)
    return {"candidates": candidates, "calls": calls, "dependency_depth": depth, "distance": dist,
            "score": round(score, 3)}


def scoring_messages(dialog: Dialog) -> tuple[list[dict[str, str]], list[str]]:
    """The dialog as plain chat messages for the learner, and the assistant texts whose loss counts."""
    tools = [{"name": t.name, "description": t.description, "parameters": t.parameters} for t in dialog.tools]
    messages = [{"role": "system", "content": "You can call these functions:\n" + orjson.dumps(tools).decode()}]
    targets = []
    for m in dialog.messages:
        if isinstance(m, AssistantMessage):
            text = m.content if not m.tool_calls else orjson.dumps(
                [{"name": c.name, "arguments": c.arguments} for c in m.tool_calls]).decode()
            messages.append({"role": "assistant", "content": text})
            targets.append(text)
        elif isinstance(m, ToolMessage):
            messages.append({"role": "tool", "content": orjson.dumps(m.content).decode()})
        elif isinstance(m, UserMessage):
            messages.append({"role": "user", "content": m.content})
    return messages, targets


def mean_nll(tokens: list[tuple[str, float]], targets: list[str]) -> float | None:
    """Mean negative log-likelihood of the prompt tokens that fall inside the ``targets`` texts.

    ``tokens`` are the decoded prompt tokens in order with their logprobs; each target is found in
    their concatenation after the previous one, so the system text and user turns never count.
    """
    text, starts = "", []
    for token, _ in tokens:
        starts.append(len(text))
        text += token
    spans, cursor = [], 0
    for target in targets:
        at = text.find(target, cursor)
        if at >= 0:
            spans.append((at, at + len(target)))
            cursor = at + len(target)
    picked = [-lp for (tok, lp), start in zip(tokens, starts)
              if any(lo <= start < hi for lo, hi in spans)]
    return round(sum(picked) / len(picked), 4) if picked else None


async def learner_nll(llm: LLMClient, dialog: Dialog, model: str) -> tuple[float | None, Usage]:
    """The complexity model's mean NLL of the dialog's assistant turns, and the request's usage."""
    messages, targets = scoring_messages(dialog)
    tokens, usage = await llm.prompt_logprobs(messages, model=model)
    return mean_nll(tokens, targets), usage


def parse_band(text: str | None) -> tuple[float, float] | None:
    """``"0.5-2.5"`` -> (0.5, 2.5): the learner-loss band a kept dialog must fall in."""
    if not text:
        return None
    try:
        low, high = (float(x) for x in text.split("-", 1))
    except ValueError:
        raise InputError(f"--complexity-band must look like LO-HI (e.g. 0.5-2.5), not {text!r}") from None
    if not 0 <= low < high:
        raise InputError(f"--complexity-band {text}: need 0 <= LO < HI")
    return low, high
