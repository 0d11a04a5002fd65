"""The CLI as a user runs it: real processes, exit codes and one-line errors."""

import os
import subprocess
import sys

from toolace.testing.instances import instance
from toolace.testing.fake_server import FakeOpenAIServer, reply, requested_schema, status


def run(*args, env=None, timeout=60):
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    full_env.pop("TOOLACE_BASE_URL", None)
    return subprocess.run([sys.executable, "-m", "toolace", *args], capture_output=True, text=True,
                          timeout=timeout, env=full_env)


def test_help_lists_commands():
    out = run("--help")
    assert out.returncode == 0
    assert "doctor" in out.stdout and "serve" in out.stdout


def test_doctor_against_a_server_prints_the_parsed_reply():
    following = lambda body: reply(instance(requested_schema(body)[1]))  # noqa: E731 - a model that obeys
    with FakeOpenAIServer(responder=following) as server:
        server.enqueue(reply({"city": "Lagos", "country": "Nigeria", "population_millions": 15.4,
                              "check": "tq-probe-7"}))
        out = run("doctor", "--base-url", server.base_url)
    assert out.returncode == 0, out.stderr
    assert "Lagos" in out.stderr and "tokens/s" in out.stderr and "fake-model" in out.stderr
    assert "ok: --structured json_schema (the setting in use) works here" in out.stderr
    assert [r.get("response_format", {}).get("type") for r in server.requests] == ["json_schema", "json_object", None]


def test_doctor_recommends_json_object_where_json_schema_is_refused():
    def strict_refusing(body):  # a hosted API's strict mode refusing the probe's schema
        mode, schema = requested_schema(body)
        return status(400) if mode == "json_schema" else reply(instance(schema))

    with FakeOpenAIServer(responder=strict_refusing) as server:
        out = run("doctor", "--base-url", server.base_url)
    assert out.returncode == 0, out.stderr
    assert "--structured json_schema  refused" in out.stderr
    assert "--structured json_object  honoured" in out.stderr
    assert "use --structured json_object" in out.stderr and "json_schema is refused" in out.stderr


def test_doctor_with_failing_engine_is_one_line_exit_1():
    with FakeOpenAIServer(model="m", responder=lambda body: status(503)) as server:
        out = run("doctor", "--base-url", server.base_url, "--model", "m", "--timeout", "2")
    assert out.returncode == 1
    lines = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "failed after 4 attempts (http_503)" in lines[0]
    assert "Traceback" not in out.stderr
    assert len(server.requests) == 4


def test_dead_endpoint_fails_fast_with_one_line():
    out = run("doctor", "--base-url", "http://127.0.0.1:9/v1")
    assert out.returncode == 1
    assert "error: cannot list models at http://127.0.0.1:9/v1" in out.stderr
    assert "Traceback" not in out.stderr


def test_bad_usage_exits_2():
    out = run("doctor", "--no-such-flag")
    assert out.returncode == 2
