"""kill -9 at random moments, many times, then re-run: nothing lost, nothing twice, no torn line."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from pipeline_fakes import PipelineResponder
from toolace.testing.fake_server import FakeOpenAIServer

ROOT = Path(__file__).resolve().parent.parent
KILLS = int(os.environ.get("TOOLACE_CRASH_KILLS", "4"))


@pytest.fixture(scope="module")
def server():
    with FakeOpenAIServer(responder=PipelineResponder(delay=0.02), model="fake") as s:
        yield s


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "toolace", *args]


def lines_of(path: Path) -> tuple[list[dict], bool]:
    """Records of a JSONL file, and whether its last line is torn."""
    if not path.exists():
        return [], False
    data = path.read_bytes()
    parts = data.split(b"\n")
    torn = bool(parts[-1])
    return [orjson.loads(p) for p in parts[:-1] if p.strip()], torn


def written(files: list[Path]) -> int:
    return sum(len(lines_of(f)[0]) for f in files)


def key(record: dict) -> str:
    return record.get("id") or record["meta"]["job_id"]


def kill_and_resume(args: list[str], files: list[Path], rng: random.Random, window: tuple[float, float]):
    """Start the command, SIGKILL it at a random moment, KILLS times; then run it to the end."""
    seen: dict[Path, set[str]] = {f: set() for f in files}
    partial_counts = []
    for _ in range(KILLS):
        proc = subprocess.Popen(cli(*args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        # Kill at a random moment after the run has started writing (start-up is not the interesting part).
        before = written(files)
        deadline = time.monotonic() + 60
        while proc.poll() is None and written(files) <= before and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(*window))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for f in files:
            records, _ = lines_of(f)  # every whole line must parse, a torn tail is allowed
            seen[f] |= {key(r) for r in records}
        partial_counts.append(sum(len(ids) for ids in seen.values()))
    # The kills must land mid-run: some records written before the last kill, not all of them.
    print(f"{args[0]}: records after each kill: {partial_counts}")
    done = subprocess.run(cli(*args), capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    final = {}
    total = written(files)
    assert any(0 < n < total for n in partial_counts), f"{args[0]}: no kill landed mid-run: {partial_counts}"
    for f in files:
        records, torn = lines_of(f)
        ids = [key(r) for r in records]
        assert not torn, f"{f.name} ends with a torn line"
        assert len(ids) == len(set(ids)), f"{f.name} holds a record twice"
        assert seen[f] <= set(ids), f"{f.name} lost finished records"
        final[f] = records
    return final


def test_synth_apis_gen_dialogs_and_verify_survive_kill_9(tmp_path, server):
    rng = random.Random(int(os.environ.get("TOOLACE_CRASH_SEED", "5")))
    url = ["--base-url", server.base_url, "--model", "fake"]
    apis = tmp_path / "apis.jsonl"
    final = kill_and_resume(["synth-apis", "--tree", "api_trees/seed.json", "--count", "120", "--workers", "8",
                             "--out", str(apis), *url], [apis, tmp_path / "apis.rejected.jsonl"], rng, (0.0, 0.6))
    assert len(final[apis]) == 120

    dialogs = tmp_path / "dialogs.jsonl"
    final = kill_and_resume(["gen-dialogs", "--apis", str(apis), "--count", "60", "--workers", "8",
                             "--out", str(dialogs), *url], [dialogs, tmp_path / "dialogs.rejected.jsonl"],
                            rng, (0.0, 0.6))
    assert len(final[dialogs]) == 60

    verified, rejected = tmp_path / "verified.jsonl", tmp_path / "rejected.jsonl"
    final = kill_and_resume(["verify", str(dialogs), "--out", str(verified), "--rejected", str(rejected),
                             "--workers", "8", *url], [verified, rejected], rng, (0.0, 0.3))
    ids = {key(r) for r in final[verified]} | {key(r) for r in final[rejected]}
    assert len(final[verified]) + len(final[rejected]) == 60 == len(ids)
