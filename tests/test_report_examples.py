"""The report page shows kept and rejected dialogs as chats: calls, results, thoughts, failures."""

from __future__ import annotations

import json

from test_formats_data import make_dialogs
from toolace.jobs import Rejection
from toolace.report import write_report


def test_the_page_shows_kept_and_rejected_dialogs_as_chats(tmp_path):
    dialogs = make_dialogs(40, seed=5)
    kept = []
    for dialog in dialogs:
        record = dialog.to_dict()
        record["meta"]["thoughts"] = [{"message": i, "intent": f"because {dialog.id}"}
                                      for i, m in enumerate(dialog.messages) if m.role == "assistant"]
        kept.append(record)
    failures = [{"check": "wrong_type", "message": "argument x must be an integer", "path": "messages[1].tool_calls[0]"},
                {"check": "unanswered_call", "message": "call_9 has no result"}]
    judged = {**kept[1], "id": "bad-1", "verdict": {"passed": False, "layer": "rules", "failures": failures}}
    rejected = Rejection("rules", failures, record=judged).to_record("bad-1", "verify")  # as verify writes it
    (tmp_path / "verified.jsonl").write_text("".join(json.dumps(r) + "\n" for r in kept))
    (tmp_path / "rejected.jsonl").write_text(json.dumps(rejected) + "\n")
    page = write_report(tmp_path).page.read_text()
    examples = page[page.index('id="examples"'):page.index('id="config"')]
    shown_kinds = {d["kind"] for d in kept if f"{d['kind']} · {d['id']}" in examples}
    assert len(shown_kinds) == 4  # four kept examples, each of another kind
    parallel = next(d for d in dialogs if d.kind == "parallel" and f"parallel · {d.id}" in examples)
    for call in parallel.calls():
        assert f"→ {call.name}" in examples.replace("&#x27;", "'").replace("&quot;", '"')
    assert f"because {parallel.id}" in examples
    assert "<code>wrong_type</code> argument x must be an integer" in examples
    assert "<code>unanswered_call</code>" in examples and "bad-1" in examples
