"""Start, watch and stop a local vLLM OpenAI-compatible server (DESIGN §3).

The embedded default is the CPU build of vLLM serving the bundled SmolLM2-135M; on a GPU machine any
Hugging Face model runs under the same server. The server runs in its own process group so that
stopping it also stops the engine-core processes vLLM forks, on errors and Ctrl-C too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from toolace.config import EngineConfig
from toolace.errors import AuthError, EngineError, InputError
from toolace.model_setup import BUNDLED_NAME, bundled_model_dir, is_ready, toolace_home

EMBEDDED_MODEL_NAME = "smollm2-135m"
STRUCTURED_OUTPUTS = '{"backend": "xgrammar", "disable_any_whitespace": true}'


# Instructions that run bfloat16 natively; without them vLLM's CPU kernels emulate it, 2-3x slower than float32
# (DESIGN §3: 50 against 97-152 tok/s on an AVX2-only EPYC).
BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The instruction-set flags of the first CPU in ``/proc/cpuinfo`` (empty where it cannot be read)."""
    try:
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("flags"):
                return set(line.partition(":")[2].split())
    except OSError:
        pass
    return set()


def cpu_dtype(flags: set[str] | None = None) -> str:
    """The dtype the embedded CPU engine serves in: bfloat16 where the CPU computes it natively, else float32."""
    flags = cpu_flags() if flags is None else flags
    return "bfloat16" if any(f in flags for f in BF16_FLAGS) else "float32"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class EngineSpec:
    """How to start a server: which model, where, on which device, with which limits."""

    model: str | None = None  # a folder or Hugging Face name; None = the bundled model
    served_name: str | None = None
    device: str = "cpu"
    dtype: str = "auto"  # auto: cpu_dtype() on the CPU, vLLM's choice on a GPU
    host: str = "127.0.0.1"
    port: int | None = None
    max_model_len: int = 4096
    kv_cache_gib: int = 2
    startup_timeout: float = 300.0
    extra_args: list[str] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)

    def resolved_model(self) -> str:
        if self.model:
            return self.model
        folder = bundled_model_dir()
        if not is_ready(folder):
            raise EngineError(f"bundled model not prepared at {folder}: run `make setup` "
                              "(or `python -m toolace.model_setup`)")
        return str(folder)

    def name(self) -> str:
        if self.served_name:
            return self.served_name
        return EMBEDDED_MODEL_NAME if not self.model else Path(self.model).name or self.model

    @classmethod
    def from_config(cls, config: EngineConfig, **more) -> "EngineSpec":
        return cls(model=config.model or None, device=config.device, dtype=config.dtype, **more)

    def resolved_dtype(self) -> str | None:
        """The ``--dtype`` given to vLLM (None: vLLM's own choice, on a GPU)."""
        if self.dtype != "auto":
            return self.dtype
        return cpu_dtype() if self.device == "cpu" else None

    def describe(self) -> str:
        dtype = self.resolved_dtype() or "dtype auto"
        why = " from the CPU's flags" if self.dtype == "auto" and self.device == "cpu" else ""
        return f"{self.device}, {dtype}{why}"

    def command(self, port: int) -> list[str]:
        if self.device not in ("cpu", "gpu"):
            raise InputError(f"--device must be cpu or gpu, not {self.device!r}")
        cmd = [
            sys.executable, "-m", "vllm.entrypoints.openai.api_server",
            "--model", self.resolved_model(),
            "--served-model-name", self.name(),
            "--host", self.host, "--port", str(port),
            "--max-model-len", str(self.max_model_len),
            "--structured-outputs-config", STRUCTURED_OUTPUTS,
            "--enable-prompt-tokens-details",
        ]
        dtype = self.resolved_dtype()
        if dtype and not any(a == "--dtype" or a.startswith("--dtype=") for a in self.extra_args):
            cmd += ["--dtype", dtype]
        if self.device == "cpu":
            # CUDA graphs do not exist on the CPU; without eager mode start-up takes ~2 min instead of ~30 s.
            # One worker inside the engine-core process (with VLLM_ENABLE_V1_MULTIPROCESSING=0 below, which
            # stops vLLM's CPU platform from forcing "mp"): one process fewer to spawn and import, so
            # healthy in ~25 s instead of ~40 s, and ~1.4x the tokens/s of 32 requests on 2 cores
            # (benchmarks/bench_engine.py measures both layouts side by side).
            cmd += ["--enforce-eager", "--distributed-executor-backend", "uni"]
        return cmd + list(self.extra_args)

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.setdefault("HF_HUB_OFFLINE", "1")
        if self.device == "cpu":
            env.setdefault("VLLM_CPU_KVCACHE_SPACE", str(self.kv_cache_gib))
            env.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
            iomp = Path(sys.prefix) / "lib" / "libiomp5.so"
            if iomp.exists() and "LD_PRELOAD" not in env:
                env["LD_PRELOAD"] = str(iomp)  # vLLM's CPU guide: Intel OpenMP is markedly faster
        env.update(self.extra_env)
        return env


class Engine:
    """One running server process; ``start()`` returns once ``/health`` answers."""

    def __init__(self, spec: EngineSpec, log_path: Path | None = None):
        self.spec = spec
        self.port = spec.port or free_port()
        self.log_path = log_path or toolace_home() / "logs" / f"engine-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.spec.host}:{self.port}/v1"

    @property
    def model(self) -> str:
        return self.spec.name()

    def start(self, on_wait=None) -> "Engine":
        cmd = self.spec.command(self.port)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=self.spec.environment(), start_new_session=True,
        )
        log.close()
        try:
            self._wait_healthy(on_wait)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_healthy(self, on_wait) -> None:
        deadline = time.monotonic() + self.spec.startup_timeout
        url = f"http://{self.spec.host}:{self.port}/health"
        while True:
            code = self.process.poll()
            if code is not None:
                raise EngineError(f"engine exited with code {code} while starting; "
                                  f"log {self.log_path}: {self.log_tail()}")
            try:
                if httpx.get(url, timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise EngineError(f"engine not healthy after {self.spec.startup_timeout:.0f} s; "
                                  f"log {self.log_path}: {self.log_tail()}")
            if on_wait:
                on_wait()
            time.sleep(0.5)

    def log_tail(self, lines: int = 3) -> str:
        try:
            text = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "(no log)"
        return " | ".join(line.strip() for line in text[-lines:]) or "(empty log)"

    def stop(self, grace: float = 15.0) -> None:
        """Stop the server and every process it started (its whole process group)."""
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            if proc is not None:
                _kill_group(proc.pid, signal.SIGKILL)  # reap forked children of a dead parent
            return
        _kill_group(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
        _kill_group(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)

    def __enter__(self) -> "Engine":
        return self.start() if self.process is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _kill_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


@contextlib.contextmanager
def endpoint(base_url: str | None, model: str | None, spec: EngineSpec | None = None,
             on_wait=None, api_key: str | None = None) -> Iterator[tuple[list[str], str, Engine | None]]:
    """Yield ``(base_urls, model, engine)``: the given server, or an embedded engine for the block.

    ``base_url`` may hold several comma-separated endpoints serving the same model; ``api_key`` (None: from
    the environment) is only used to ask a server its model name.
    """
    if base_url:
        urls = [u.strip() for u in base_url.split(",") if u.strip()]
        if not model:
            model = _served_model(urls[0], api_key)
        yield urls, model, None
        return
    spec = spec or EngineSpec(model=model)
    engine = Engine(spec)
    # SIGTERM (e.g. `timeout`, a CI runner) must unwind through `finally` like Ctrl-C does.
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt) if in_main else None
    try:
        engine.start(on_wait)
        yield [engine.base_url], engine.model, engine
    finally:
        engine.stop()
        if in_main:
            signal.signal(signal.SIGTERM, previous)


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


@contextlib.contextmanager
def open_llm(config: EngineConfig, on_started=None, on_wait=None) -> Iterator:
    """An ``OpenAIClient`` set up from ``config``: on its endpoint(s), or on an embedded engine for the block.

    The embedded CPU engine gets the longer timeout and the in-flight cap that a slow CPU needs.
    """
    from toolace.llm.openai_client import OpenAIClient

    spec = None if config.base_url else EngineSpec.from_config(config)
    with endpoint(config.base_url or None, config.model or None, spec, on_wait, config.key()) as (urls, model, engine):
        if engine is not None and on_started:
            on_started(engine)
        embedded_cpu = engine is not None and engine.spec.device == "cpu"
        yield OpenAIClient(urls, model, api_key=config.key(), timeout=config.resolved_timeout(embedded_cpu),
                           max_in_flight=config.resolved_in_flight(embedded_cpu), structured=config.structured,
                           extra_body=config.extra_body, context_window=engine.spec.max_model_len if engine else None)


def _served_model(base_url: str, api_key: str | None = None) -> str:
    """Ask a server which model it serves (when the user gave a URL but no model name)."""
    from toolace.llm.openai_client import auth_problem, resolve_api_key

    key, source = resolve_api_key(api_key)
    try:
        response = httpx.get(f"{base_url.rstrip('/')}/models", timeout=10.0,
                             headers={"Authorization": f"Bearer {key}"})
        if response.status_code in (401, 403):
            raise AuthError(auth_problem(base_url, response.status_code, source))
        data = response.json()
        return data["data"][0]["id"]
    except (httpx.HTTPError, ValueError, KeyError, IndexError) as e:
        raise EngineError(f"cannot list models at {base_url} ({type(e).__name__}); "
                          "is the server running? pass --model to skip this check") from None


__all__ = ["BUNDLED_NAME", "EMBEDDED_MODEL_NAME", "Engine", "EngineSpec", "cpu_dtype", "endpoint", "free_port",
           "open_llm"]
