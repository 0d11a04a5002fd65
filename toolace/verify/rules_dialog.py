"""Dialog correctness: fields filled, replies not overlong, clean characters, one language, complete.

Thresholds come from ``RuleConfig``. The heuristics lean towards keeping text: a check here must
not reject a correct reply, so each one looks for a clear sign (a control character, an unclosed
bracket, a reply that stops on "the"), never for mere style.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import orjson

from toolace.records import AssistantMessage, Failure, SystemMessage, ToolMessage, UserMessage
from toolace.jsonpaths import join, strings

# C0/C1 controls other than tab and newlines, the replacement character, unpaired surrogates.
_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ud800-\udfff]")
# The same in orjson output, where controls are escaped (\u0001, \b, \f); an escaped backslash
# before "b"/"f" also matches, which only costs the exact walk.
_INVALID_IN_JSON = re.compile(rb"\\u00[01]|\\[bf]|\x7f|\xc2[\x80-\x9f]|\xef\xbf\xbd")

# Runs of one script: words in alphabetic scripts, phrases in CJK (weighed by length in _words).
_SCRIPTS = re.compile(
    r"(?P<latin>[A-Za-z\u00c0-\u024f]+)|(?P<cyrillic>[\u0400-\u04ff]+)|(?P<greek>[\u0370-\u03ff]+)"
    r"|(?P<arabic>[\u0600-\u06ff]+)|(?P<hebrew>[\u0590-\u05ff]+)|(?P<devanagari>[\u0900-\u097f]+)"
    r"|(?P<thai>[\u0e00-\u0e7f]+)|(?P<hangul>[\uac00-\ud7af\u1100-\u11ff]+)"
    r"|(?P<cjk>[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]+)"
)
_ASCII_OPEN_CLOSE = (("(", ")"), ("[", "]"), ("{", "}"), ("\u201c", "\u201d"), ("\u300c", "\u300d"))
# Words a finished English sentence does not end on.
_DANGLING = frozenset(
    "the a an and or but to of with for in on at by from is are was were be that which who your my our "
    "their its this these those as if than then so because into about".split())
_CUT_ENDINGS = tuple(",;:([{-\u2013\u2014/&+=\\")
# A reply may end on a link whose path ends in "/" ("... fullfact.org/online/eu-cash-limit/").
_URL_END = re.compile(r"(?:https?://)?[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?:/[^\s/]+)*/$", re.I)
_SENTENCE_END = tuple(".!?\u3002\uff01\uff1f\u2026\"'\u201d\u2019)]}\u00bb\u300d\u300f*`_~")
_LIST_LINE = re.compile(r"\s*(?:[-*\u2022|>#]|\d+[.)])")


def check_fields(ctx) -> Iterator[Failure]:
    """missing_field: texts, ids and names that are present but blank."""
    for mi, message in enumerate(ctx.dialog.messages):
        base = f"messages[{mi}]"
        if isinstance(message, (UserMessage, SystemMessage)) and not message.content.strip():
            yield Failure(check="missing_field", path=join(base, "content"), message=f"{base}: empty {message.role} text")
        elif isinstance(message, ToolMessage):
            for name in ("tool_call_id", "name"):
                if not getattr(message, name).strip():
                    yield Failure(check="missing_field", path=join(base, name), message=f"{base}: empty {name}")
        elif isinstance(message, AssistantMessage):
            for ci, call in enumerate(message.tool_calls):
                for name in ("id", "name"):
                    if not getattr(call, name).strip():
                        where = f"{base}.tool_calls[{ci}].{name}"
                        yield Failure(check="missing_field", path=where, message=f"{where}: empty call {name}")


def _suspect(value: object) -> bool:
    """Whether a JSON value may hold an invalid character (quick: one orjson dump, one bytes search)."""
    if isinstance(value, str):
        return _INVALID.search(value) is not None
    if value is None or isinstance(value, (bool, int, float)):
        return False
    try:
        return _INVALID_IN_JSON.search(orjson.dumps(value)) is not None
    except TypeError:  # orjson refuses unpaired surrogates: that is a finding
        return True


def check_characters(ctx) -> Iterator[Failure]:
    """invalid_characters in any text, argument or tool result of the dialog."""
    for mi, message in enumerate(ctx.dialog.messages):
        base = f"messages[{mi}]"
        texts = []
        if _suspect(message.content):
            texts += strings(message.content, join(base, "content"))
        if isinstance(message, AssistantMessage):
            texts += [s for ci, call in enumerate(message.tool_calls) if _suspect(call.arguments)
                      for s in strings(call.arguments, f"{base}.tool_calls[{ci}].arguments")]
        for path, text in texts:
            bad = _INVALID.findall(text)
            if bad:
                first = _INVALID.search(text)
                yield Failure(check="invalid_characters", path=path,
                              message=f"{path}: {len(bad)} invalid character(s), first U+{ord(bad[0]):04X} "
                                      f"at offset {first.start()}")


def check_replies(ctx) -> Iterator[Failure]:
    """reply_too_long, mixed_language and incomplete_reply on every assistant text."""
    config = ctx.config
    for mi, message in enumerate(ctx.dialog.messages):
        if not isinstance(message, AssistantMessage) or message.content is None:
            continue
        path = f"messages[{mi}].content"
        text = message.content
        if len(text) > config.max_reply_chars:
            yield Failure(check="reply_too_long", path=path,
                          message=f"{path}: {len(text)} characters (limit {config.max_reply_chars})")
        if not text.isascii():
            problem = _mixed_language(text, ctx)
            if problem:
                yield Failure(check="mixed_language", path=path, message=f"{path}: {problem}")
        problem = cut_off(text, config.require_terminal_punctuation) if text.strip() or not message.tool_calls else None
        if problem:
            yield Failure(check="incomplete_reply", path=path, message=f"{path}: {problem}")


def cut_off(text: str, require_terminal_punctuation: bool = False) -> str | None:
    """Why a reply looks cut off or empty, or None."""
    stripped = text.strip()
    if not stripped:
        return "empty reply"
    for opener, closer in _ASCII_OPEN_CLOSE:
        if stripped.count(opener) > stripped.count(closer):
            return f"unclosed {opener!r}"
    if stripped.count('"') % 2:
        return "unbalanced double quotes"
    if stripped.count("```") % 2:
        return "unclosed code block"
    if stripped.endswith(_CUT_ENDINGS) and not _URL_END.search(stripped):
        return f"ends on {stripped[-1]!r}"
    last_word = stripped.rsplit(None, 1)[-1].lower()
    if last_word in _DANGLING:
        return f"ends mid-sentence on {last_word!r}"
    if require_terminal_punctuation and not stripped.endswith(_SENTENCE_END):
        last_line = stripped.rsplit("\n", 1)[-1]
        if not _LIST_LINE.match(last_line) and not stripped[-1].isdigit():
            return f"does not end a sentence: ...{stripped[-30:]!r}"
    return None


def _words(text: str) -> list[tuple[str, str, int]]:
    """(script, run, weight): a CJK run of n characters weighs about n/2 words (no spaces there)."""
    return [(m.lastgroup, m.group(), (len(m.group()) + 1) // 2 if m.lastgroup == "cjk" else 1)
            for m in _SCRIPTS.finditer(text)]


def _mixed_language(text: str, ctx) -> str | None:
    words = _words(text)
    counts = Counter()
    for script, _, weight in words:
        counts[script] += weight
    if len(counts) < 2:
        return None
    main, _ = counts.most_common(1)[0]
    total = sum(counts.values())
    # Names and values quoted from the user, the tools or their results are not a language switch.
    quoted_words, quoted_text = ctx.context_words()
    others = [(run, weight) for script, run, weight in words if script != main
              and not (run in quoted_text if script == "cjk" else run.lower() in quoted_words)]
    share = sum(weight for _, weight in others)
    config = ctx.config
    if share >= config.mixed_language_min_words and share / total > config.mixed_language_tolerance:
        scripts = sorted({script for script, _, _ in words if script != main})
        return (f"mostly {main} with {share} of {total} words in {', '.join(scripts)} "
                f"(e.g. {others[0][0]!r}); tolerance {config.mixed_language_tolerance:.0%}")
    return None


def script_words(text: str) -> set[str]:
    """The lower-cased words of a text, for telling quoted names from language switches."""
    return {run.lower() for _, run, _ in _words(text)}
