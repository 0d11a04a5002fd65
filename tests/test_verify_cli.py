"""`toolace verify` as a user runs it: exit codes, one-line errors, resume, the end table."""

import json
import os
import subprocess
import sys

from toolace.testing.fake_server import FakeOpenAIServer, reply
from verify_samples import good


def run(*args, timeout=120):
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("TOOLACE_BASE_URL", None)
    return subprocess.run([sys.executable, "-m", "toolace", "verify", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def write(path, records):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))


def dialog(i, broken=False):
    d = good()
    d["id"] = f"d{i}"
    if broken:
        d["messages"][1]["tool_calls"][0]["arguments"]["city"] = True
    return d


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_bad_input_line_exits_2_with_file_and_line_and_writes_nothing(tmp_path):
    src = tmp_path / "in.jsonl"
    write(src, [dialog(0), '{"id": "x", "messages": []}', dialog(2)])
    out = run(str(src), "--out", str(tmp_path / "v.jsonl"), "--rules-only")
    assert out.returncode == 2, out.stderr
    [error] = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert error == f"error: {src}:2: a dialog needs a non-empty 'messages' list"
    assert "Traceback" not in out.stderr and not (tmp_path / "v.jsonl").exists()
    write(src, [dialog(0), "{not json"])
    out = run(str(src), "--out", str(tmp_path / "v.jsonl"), "--rules-only")
    assert out.returncode == 2 and f"{src}:2: not valid JSON" in out.stderr


def test_bad_options_exit_2(tmp_path):
    src = tmp_path / "in.jsonl"
    write(src, [dialog(0)])
    assert "no such file" in run(str(tmp_path / "nope.jsonl"), "--rules-only").stderr
    rules = tmp_path / "rules.json"
    rules.write_text('{"max_reply_char": 5}')
    out = run(str(src), "--rules", str(rules), "--rules-only", "--out", str(tmp_path / "v.jsonl"))
    assert out.returncode == 2 and "max_reply_char: Extra inputs are not permitted" in out.stderr


def test_rules_only_run_resumes_by_dialog_id(tmp_path):
    src, verified, rejected = tmp_path / "in.jsonl", tmp_path / "verified.jsonl", tmp_path / "rejected.jsonl"
    write(src, [dialog(0), dialog(1, broken=True), dialog(2)])
    out = run(str(src), "--out", str(verified), "--rejected", str(rejected), "--rules-only")
    assert out.returncode == 0, out.stderr
    assert sorted(r["id"] for r in lines(verified)) == ["d0", "d2"]
    [bad] = lines(rejected)
    assert (bad["id"], bad["stage"], bad["reason"], bad["failures"][0]["check"]) == ("d1", "verify", "rules", "wrong_type")
    assert bad["record"]["verdict"]["failures"] == bad["failures"]  # the dialog as judged, with its verdict
    assert bad["record"]["messages"] == dialog(1, True)["messages"]
    assert "wrong_type" in out.stderr and "input dialogs" in out.stderr
    write(src, [dialog(i, broken=i % 2 == 1) for i in range(6)])
    out = run(str(src), "--out", str(verified), "--rejected", str(rejected), "--rules-only")
    assert out.returncode == 0, out.stderr
    assert sorted(r["id"] for r in lines(verified)) == ["d0", "d2", "d4"]
    assert sorted(r["id"] for r in lines(rejected)) == ["d1", "d3", "d5"]
    assert "already done (resumed)" in out.stderr
    stats = json.loads((tmp_path / "verified.stats.json").read_text())
    # Both runs are counted: d1 in the first, d3 and d5 in the resumed one.
    assert stats["input"] == 6 and stats["skipped"] == 3 and stats["failures_by_check"] == {"wrong_type": 3}
    assert (stats["runs"], stats["kept"], stats["rejected"]) == (2, 3, 3)


def test_judge_through_the_cli_against_a_server(tmp_path):
    src = tmp_path / "in.jsonl"
    write(src, [dialog(0)])

    def respond(body):
        schema = body["response_format"]["json_schema"]["schema"]
        flag = [k for k in schema["properties"] if k != "reason"][0]
        return reply(json.dumps({"reason": "looks fine", flag: False}))
    with FakeOpenAIServer(responder=respond) as server:
        out = run(str(src), "--out", str(tmp_path / "v.jsonl"), "--base-url", server.base_url, "--workers", "2")
    assert out.returncode == 0, out.stderr
    [kept] = lines(tmp_path / "v.jsonl")
    assert kept["verdict"] == {"passed": True, "layer": "model", "failures": []}
    assert len(server.requests) == 3 and "3 (1 saved by the pre-pass)" in out.stderr
