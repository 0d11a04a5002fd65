"""The whole pipeline against a fake engine failing 30% of requests, and against a dead engine."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import orjson

from pipeline_fakes import PipelineResponder
from toolace.jsonl import read_jsonl
from toolace.records import Api, Dialog
from toolace.testing.fake_server import FakeOpenAIServer

ROOT = Path(__file__).resolve().parent.parent
# Which failure reason each injected fault must be counted under.
REASON = {"http_500": "http_500", "http_503": "http_503", "hang": "timeout", "drop": "connection",
          "non_json": "bad_response", "schema_break": "schema_violation", "truncated": "truncated"}


def run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "toolace", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


def test_pipeline_finishes_through_30_percent_faults_and_counts_every_one(tmp_path):
    responder = PipelineResponder(fault_rate=0.3, seed=11, hang_seconds=5.0)
    run_dir = tmp_path / "run"
    with FakeOpenAIServer(responder=responder, model="fake") as server:
        done = run("run", "toolace.toml", "--out", str(run_dir), "--base-url", server.base_url, "--model", "fake",
                   "--set", "engine.timeout=2", "--set", "apis.count=16", "--set", "dialogs.count=12",
                   "--set", "dialogs.workers=8", "--set", "verify.rules_only=false",
                   "--set", "export.formats=['toolace', 'openai']")
        requests = len(server.requests)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "report:" in done.stderr

    counted: dict[str, int] = {}
    abandoned = 0
    for name in ("apis", "dialogs", "verified"):
        stats = orjson.loads((run_dir / f"{name}.stats.json").read_bytes())
        abandoned += stats["usage"]["abandoned"]
        for reason, n in stats["usage"]["failures"].items():
            counted[reason] = counted.get(reason, 0) + n
    injected = responder.faults
    print(f"requests {requests}, injected {injected}, counted {counted}, abandoned {abandoned}")
    assert sum(injected.values()) > 0.2 * requests  # the faults really happened
    # Every injected fault is counted under its own reason, except on requests abandoned in flight when
    # a stage (or one dialog kind) reached its target and cancelled its surplus jobs: the client never
    # saw those replies, and counts them as abandoned. On a loaded machine a slow reply can also time
    # out before the scripted fault arrives (-> `timeout`, hence the small slack).
    assert sum(counted.values()) + abandoned >= sum(injected.values()) - 3, (injected, counted, abandoned)
    for fault, n in injected.items():
        assert counted.get(REASON[fault], 0) + abandoned >= n - 2, (fault, n, injected, counted, abandoned)
    # Each stage prints its own rows: per dialog kind (made of its quota), verify layers.
    assert "per kind" in done.stderr and "made " in done.stderr and " of " in done.stderr
    # Every reason shows in the printed summaries too.
    for fault in injected:
        assert REASON[fault] in done.stderr

    # No record is corrupted: every output parses as its canonical record, no torn line.
    apis = list(read_jsonl(run_dir / "apis.jsonl", Api))
    assert len(apis) == 16
    assert len(list(read_jsonl(run_dir / "dialogs.jsonl", Dialog))) == 12
    lenient = {"lenient_schema": True, "lenient_calls": True}
    for name in ("verified.jsonl", "rejected.jsonl"):
        if (run_dir / name).exists():
            assert (run_dir / name).read_bytes().endswith(b"\n") or not (run_dir / name).read_bytes()
    list(read_jsonl(run_dir / "verified.jsonl", Dialog, context=lenient))
    for rejected in read_jsonl(run_dir / "rejected.jsonl"):  # each holds the dialog as verify judged it
        Dialog.model_validate(rejected["record"], context=lenient)
    for name in ("export/toolace.jsonl", "export/openai.jsonl", "README.md", "report.html", "config.json"):
        assert (run_dir / name).exists(), name

    # A finished run re-run is skipped stage by stage and never needs the engine (this one is dead).
    again = run("run", "toolace.toml", "--out", str(run_dir), "--base-url", "http://127.0.0.1:9/v1", "--model", "fake",
                "--set", "engine.timeout=2", "--set", "apis.count=16", "--set", "dialogs.count=12",
                "--set", "dialogs.workers=8", "--set", "verify.rules_only=false",
                "--set", "export.formats=['toolace', 'openai']")
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.stderr.count("done before") == 5  # apis, dialogs, verify, export, report (no tree growth)


def test_dead_engine_fails_fast_with_one_line(tmp_path):
    started = time.monotonic()
    done = run("run", "toolace.toml", "--out", str(tmp_path / "run"), "--base-url", "http://127.0.0.1:9/v1",
               "--model", "m", "--set", "apis.count=5", timeout=120)
    elapsed = time.monotonic() - started
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "failed on the engine" in errors[0] and "connection" in errors[0], done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert elapsed < 60
