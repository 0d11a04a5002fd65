"""Both layers of `toolace verify` against the real engine (small: three dialogs)."""

import json
import os
import subprocess
import sys

import pytest

from verify_samples import good


@pytest.mark.engine
def test_verify_runs_both_layers_on_the_engine(engine, tmp_path):
    src = tmp_path / "dialogs.jsonl"
    dialogs = []
    for i, city in enumerate(["Paris", "Oslo", "Lima"]):
        d = good()
        d["id"] = f"d{i}"
        d["messages"][0]["content"] = f"What is the weather in {city}?"
        d["messages"][1]["tool_calls"][0]["arguments"]["city"] = city
        d["messages"][3]["content"] = f"It is 21 °C in {city} right now."
        dialogs.append(d)
    src.write_text("".join(json.dumps(d) + "\n" for d in dialogs))
    env = {**os.environ, "COLUMNS": "200"}
    out = subprocess.run([sys.executable, "-m", "toolace", "verify", str(src), "--out", str(tmp_path / "v.jsonl"),
                          "--base-url", engine.base_url, "--model", engine.model, "--workers", "8"],
                         capture_output=True, text=True, timeout=600, env=env)
    assert out.returncode == 0, out.stderr
    def read(name):
        path = tmp_path / name
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    rejected = read("v.rejected.jsonl")
    for rejection in rejected:  # the runner's one rejected shape: the layer that said no, the dialog as judged
        assert rejection["stage"] == "verify" and rejection["reason"] == "model"
        assert rejection["failures"] == rejection["record"]["verdict"]["failures"]
    records = read("v.jsonl") + [rejection["record"] for rejection in rejected]
    assert sorted(r["id"] for r in records) == ["d0", "d1", "d2"]
    for record in records:
        verdict = record["verdict"]
        assert verdict["layer"] == "model"  # every dialog passed the rules and was judged
        assert all(f["check"] in {"inconsistent_reply", "bad_tool_response", "repetitive", "hallucinated_value"}
                   and f["message"].startswith("judge: ") for f in verdict["failures"])
        assert verdict["passed"] == (not verdict["failures"])
    stats = json.loads((tmp_path / "v.stats.json").read_text())
    assert stats["judge_calls"] == 9 and stats["judge_calls_saved"] == 3 and stats["usage"]["completion_tokens"] > 0
