"""Export then import gives back the same dialog: 1,000 generated dialogs through every two-way format."""

from collections import Counter

import orjson
import pytest

from test_formats_data import make_dialogs, write_dialogs
from toolace.formats import IMPORTERS
from toolace.formats.export import export_dialogs
from toolace.formats.imports import import_dialogs
from toolace.formats.names import restore_names
from toolace.formats.turns import RowProblem, turns
from toolace.jsonl import read_jsonl
from toolace.records import Dialog

DIALOGS = make_dialogs(1000, seed=3)

# What each format carries besides calls, arguments and tool results (FORMATS.md).
CARRIES = {
    "toolace": {"texts"},
    "openai": {"texts", "system", "text_beside_calls"},
    "sharegpt": {"texts", "system"},
    "hermes": {"texts", "system", "text_beside_calls"},
    "xlam": set(),
}


def _exact(value) -> bytes:
    """JSON bytes that tell 1 from 1.0 and keep key order: equality here is losslessness."""
    return orjson.dumps(value)


def view(dialog: Dialog, fmt: str) -> list:
    """What must survive the trip through ``fmt``."""
    carried = CARRIES[fmt]
    out = []
    for turn in turns(dialog):
        if turn.kind == "calls":
            text = turn.text if "text_beside_calls" in carried else None
            out.append(("calls", text, [(c.name, _exact(c.arguments)) for c in turn.calls]))
        elif turn.kind == "results":
            if fmt != "xlam":
                out.append(("results", [(r.name, _exact(r.content)) for r in turn.results]))
        elif turn.kind == "system":
            if "system" in carried:
                out.append(("system", turn.text))
        elif "texts" in carried:
            out.append((turn.kind, turn.text))
    tools = [(a.name, a.description, _exact(a.parameters)) for a in dialog.tools]
    return [dialog.id, dialog.kind, tools, out]


def exportable(dialog: Dialog, fmt: str) -> bool:
    if fmt == "xlam":  # one query, answered by one turn of calls or by text
        steps = [t for t in turns(dialog) if t.kind != "system"]
        return sum(t.kind == "user" for t in steps) == 1 and not any(t.kind == "calls" for t in steps[2:])
    return True


@pytest.mark.parametrize("fmt", sorted(CARRIES))
async def test_export_then_import_is_lossless(tmp_path, fmt):
    source = write_dialogs(tmp_path / "dialogs.jsonl", DIALOGS)
    exported = await export_dialogs(source, fmt, tmp_path / f"{fmt}.jsonl")
    back = await import_dialogs(tmp_path / f"{fmt}.jsonl", fmt, tmp_path / "back.jsonl")
    expected = [d for d in DIALOGS if exportable(d, fmt)]
    assert exported.kept == len(expected) and back.rejected == 0 and back.kept == len(expected)
    if fmt == "xlam":  # the rest is skipped, with reasons
        assert exported.rejected == 1000 - len(expected) and set(exported.reasons) == {"multi_turn", "dependent_calls"}
    # Names the format refuses were rewritten (meta.renamed); given back, nothing else differs.
    imported = {d.id: restore_names(d) for d in read_jsonl(tmp_path / "back.jsonl", Dialog)}
    calls = 0
    for dialog in expected:
        assert view(imported[dialog.id], fmt) == view(dialog, fmt), dialog.id
        calls += len(dialog.calls())
    assert back.counters["calls read"] == calls
    kinds = Counter(d.kind for d in expected)
    assert kinds["parallel"] and kinds["single"] and (fmt == "xlam" or kinds["multi_turn"] and kinds["dependent"])


def test_every_two_way_format_is_covered():
    assert set(CARRIES) == set(IMPORTERS)


def test_sharegpt_keeps_the_text_beside_calls_out_and_says_so():
    from toolace.formats import sharegpt
    dialog = next(d for d in DIALOGS if any(t.kind == "calls" and t.text for t in turns(d)))
    notes = Counter()
    sharegpt.export_rows(dialog, notes)
    assert notes["assistant_text_beside_calls_dropped"] == 1


def test_sharegpt_refuses_roles_llamafactory_would_drop():
    from toolace.formats import sharegpt
    dialog = Dialog.model_validate({"id": "x", "messages": [
        {"role": "user", "content": "a"}, {"role": "user", "content": "b"}, {"role": "assistant", "content": "c"}]})
    with pytest.raises(RowProblem) as caught:
        sharegpt.export_rows(dialog, Counter())
    assert caught.value.reason == "roles_do_not_alternate"
