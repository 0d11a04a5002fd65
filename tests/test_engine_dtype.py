"""The embedded engine fits the CPU: dtype from /proc/cpuinfo flags, overridable; serve passes vLLM arguments on.

The server process is a fake ``vllm`` package put first on PYTHONPATH: it records its arguments and serves the
fake OpenAI API on the port it was given, so the real start/health/stop path runs without loading a model.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from toolace.config import EngineConfig
from toolace.engine import EngineSpec, cpu_dtype, cpu_flags, open_llm

ROOT = Path(__file__).resolve().parent.parent
FAKE_SERVER = '''
import json, os, sys, time
from pathlib import Path
from toolace.testing.fake_server import FakeOpenAIServer

argv = sys.argv[1:]
Path(os.environ["FAKE_VLLM_ARGV"]).write_text(json.dumps(argv))
if os.environ.get("FAKE_VLLM_EXIT"):
    sys.exit(int(os.environ["FAKE_VLLM_EXIT"]))
name = argv[argv.index("--served-model-name") + 1]
with FakeOpenAIServer(model=name, port=int(argv[argv.index("--port") + 1])):
    time.sleep(120)
'''
EPYC_AVX2 = "fpu vme sse sse2 avx avx2 fma bmi2"
XEON_BF16 = EPYC_AVX2 + " avx512f avx512bw avx512_bf16"


@pytest.fixture
def fake_vllm(tmp_path, monkeypatch):
    """PYTHONPATH with a fake ``vllm.entrypoints.openai.api_server``; returns the file its argv lands in."""
    package = tmp_path / "fake" / "vllm" / "entrypoints" / "openai"
    package.mkdir(parents=True)
    for folder in (package, package.parent, package.parent.parent):
        (folder / "__init__.py").write_text("")
    (package / "api_server.py").write_text(FAKE_SERVER)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path / "fake"), str(ROOT)]))
    monkeypatch.setenv("FAKE_VLLM_ARGV", str(tmp_path / "argv.json"))
    monkeypatch.setenv("TOOLACE_HOME", str(tmp_path / "home"))
    return tmp_path / "argv.json"


def cpuinfo(tmp_path, flags: str) -> Path:
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: {flags}\n\nprocessor\t: 1\n")
    return path


@pytest.mark.parametrize("flags, dtype", [(EPYC_AVX2, "float32"), (XEON_BF16, "bfloat16"),
                                          (EPYC_AVX2 + " amx_bf16 amx_tile", "bfloat16"), ("", "float32")])
def test_dtype_follows_the_cpus_bf16_instructions(tmp_path, flags, dtype):
    assert cpu_dtype(cpu_flags(cpuinfo(tmp_path, flags))) == dtype


def test_unreadable_cpuinfo_means_float32(tmp_path):
    assert cpu_flags(tmp_path / "missing") == set() and cpu_dtype(set()) == "float32"


def test_vllm_gets_the_dtype_auto_picked_or_overridden():
    def dtype_of(spec):
        cmd = spec.command(8000)
        return [cmd[i + 1] for i, a in enumerate(cmd) if a == "--dtype"]

    assert dtype_of(EngineSpec(model="m")) == [cpu_dtype()]  # this machine's own flags decide
    assert dtype_of(EngineSpec(model="m", dtype="float32")) == ["float32"]
    assert dtype_of(EngineSpec(model="m", device="gpu")) == []  # vLLM's own choice on a GPU
    assert dtype_of(EngineSpec(model="m", extra_args=["--dtype", "float16"])) == ["float16"]  # never twice
    assert EngineSpec.from_config(EngineConfig(dtype="bfloat16", device="gpu")).resolved_dtype() == "bfloat16"


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "toolace", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, env={**os.environ, "COLUMNS": "200"})


def test_serve_passes_dtype_and_every_argument_after_the_double_dash(fake_vllm, monkeypatch):
    monkeypatch.setenv("FAKE_VLLM_EXIT", "3")
    out = run_cli("serve", "--model", "/models/qwen", "--device", "gpu", "--dtype", "float16", "--port", "8123",
                  "--", "--tensor-parallel-size", "2", "--reasoning-parser", "qwen3", "--gpu-memory-utilization=0.8")
    assert out.returncode == 1 and "engine exited with code 3 while starting" in out.stderr, out.stderr
    argv = json.loads(fake_vllm.read_text())
    assert argv[argv.index("--model") + 1] == "/models/qwen" and argv[argv.index("--port") + 1] == "8123"
    assert argv[argv.index("--dtype") + 1] == "float16" and argv.count("--dtype") == 1
    assert argv[-5:] == ["--tensor-parallel-size", "2", "--reasoning-parser", "qwen3", "--gpu-memory-utilization=0.8"]
    assert "--enforce-eager" not in argv  # the CPU-only flags stay off a GPU server


def test_serve_rejects_a_bad_dtype_before_starting_anything(fake_vllm):
    out = run_cli("serve", "--dtype", "fp8")
    assert out.returncode == 2 and "error: --dtype: Input should be 'auto', 'bfloat16', 'float16' or 'float32'" \
        in out.stderr, out.stderr
    assert not fake_vllm.exists()


def test_embedded_cpu_session_gets_the_picked_dtype_a_long_timeout_and_an_in_flight_cap(fake_vllm):
    with open_llm(EngineConfig(model=str(fake_vllm.parent / "tiny-model"))) as llm:
        reply = asyncio.run(llm.chat([{"role": "user", "content": "hi"}]))
        argv = json.loads(fake_vllm.read_text())
        assert reply.text == '{"ok": true}' and llm.model == "tiny-model"
        assert argv[argv.index("--dtype") + 1] == cpu_dtype() and "--enforce-eager" in argv
        endpoint = llm.endpoints[0]
        assert endpoint.client.timeout == 900.0 and endpoint.max_in_flight == 32
    with open_llm(EngineConfig(model=str(fake_vllm.parent / "tiny-model"), dtype="float32", timeout=60,
                               max_in_flight=4)) as llm:
        argv = json.loads(fake_vllm.read_text())
        assert argv[argv.index("--dtype") + 1] == "float32"
        assert llm.endpoints[0].client.timeout == 60 and llm.endpoints[0].max_in_flight == 4
