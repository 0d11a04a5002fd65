import asyncio
import itertools
from collections import Counter

import pytest

from toolace.errors import EngineError
from toolace.jsonl import read_jsonl
from toolace.job_sources import JobList, JobStream
from toolace.jobs import Job, Outcome, Rejection
from toolace.runner import parse_shard, run_jobs, shard_of
from toolace.strata import Strata, allocate


def endless():
    return (Job(f"j{i}", i) for i in itertools.count())


async def keep_even(job):
    if job.payload % 2:
        return Outcome(rejected=Rejection.of("odd", f"{job.payload} is odd"))
    return Outcome(kept={"id": job.id, "n": job.payload}, counters={"even": 1})


async def test_target_mode_keeps_exactly_n_replacing_rejections(tmp_path):
    out, rej = tmp_path / "out.jsonl", tmp_path / "rej.jsonl"
    stats = await run_jobs(JobStream(endless(), 10), keep_even, out=out, rejected=rej, workers=4)
    kept = list(read_jsonl(out))
    assert len(kept) == 10 and stats.kept == 10
    assert stats.reasons["odd"] == stats.rejected == len(list(read_jsonl(rej)))
    assert stats.counters["even"] == 10
    # Resume with a larger target continues without duplicates.
    stats2 = await run_jobs(JobStream(endless(), 15), keep_even, out=out, rejected=rej, workers=4)
    ids = [r["id"] for r in read_jsonl(out)]
    assert len(ids) == 15 == len(set(ids)) and stats2.skipped == 10 + stats.rejected


async def test_finite_mode_processes_each_job_once_and_resumes(tmp_path):
    out, rej = tmp_path / "out.jsonl", tmp_path / "rej.jsonl"
    jobs = [Job(f"j{i}", i) for i in range(20)]
    await run_jobs(JobList(jobs[:7]), keep_even, out=out, rejected=rej, workers=3)
    stats = await run_jobs(JobList(jobs), keep_even, out=out, rejected=rej, workers=3)
    assert stats.skipped == 7 and stats.kept + stats.rejected == 13
    assert sorted(r["n"] for r in read_jsonl(out)) == list(range(0, 20, 2))


async def test_engine_failure_of_one_job_does_not_stop_the_run(tmp_path):
    async def flaky(job):
        if job.payload == 3:
            raise EngineError("boom")
        return Outcome(kept={"id": job.id})
    stats = await run_jobs(JobList(Job(f"j{i}", i) for i in range(6)), flaky, out=tmp_path / "o.jsonl",
                           rejected=tmp_path / "r.jsonl", workers=2)
    assert stats.kept == 5 and stats.reasons == {"engine_error": 1}
    assert not (tmp_path / "r.jsonl").exists() or list(read_jsonl(tmp_path / "r.jsonl")) == []
    # The failed job is not recorded as done: a re-run tries it again.
    async def healthy(job):
        return Outcome(kept={"id": job.id})
    again = await run_jobs(JobList(Job(f"j{i}", i) for i in range(6)), healthy, out=tmp_path / "o.jsonl",
                           rejected=tmp_path / "r.jsonl", workers=2)
    assert again.kept == 1 and again.skipped == 5


async def test_dead_engine_fails_fast(tmp_path):
    async def dead(job):
        raise EngineError("connection refused")
    with pytest.raises(EngineError, match="in a row failed"):
        await run_jobs(JobStream(endless(), 5), dead, out=tmp_path / "o.jsonl", workers=2, fail_fast_after=5)


async def test_shards_partition_jobs(tmp_path):
    jobs = [Job(f"j{i}", i * 2) for i in range(50)]
    seen = []
    for index in range(3):
        out = tmp_path / f"s{index}.jsonl"
        await run_jobs(JobList(jobs), keep_even, out=out, workers=3, shard=(index, 3))
        seen += [r["id"] for r in read_jsonl(out)]
    assert sorted(seen) == sorted(j.id for j in jobs)
    assert {shard_of("j1", 3)} <= {0, 1, 2}
    assert parse_shard("1/4") == (1, 4)
    with pytest.raises(Exception, match="need 0 <= I < N"):
        parse_shard("4/4")


async def test_a_stage_that_rejects_everything_gives_up_with_reasons(tmp_path):
    async def never(job):
        return Outcome(rejected=Rejection.of("bad_name", "no good"))
    with pytest.raises(Exception, match=r"gave up after 30 jobs with only 0 of 5 kept; rejections: \{'bad_name': 30\}"):
        await run_jobs(JobStream(endless(), 5, max_jobs=30), never, out=tmp_path / "o.jsonl",
                       rejected=tmp_path / "r.jsonl", workers=4)


async def test_target_run_keeps_several_jobs_in_flight_near_the_end(tmp_path):
    import asyncio
    peak = {"now": 0, "max_at_end": 0}

    async def slow(job):
        peak["now"] += 1
        await asyncio.sleep(0.01)
        peak["now"] -= 1
        return Outcome(kept={"id": job.id}) if job.payload % 2 == 0 else Outcome(rejected=Rejection("odd"))

    out = tmp_path / "o.jsonl"
    (out).write_text("".join(f'{{"id": "old{i}"}}\n' for i in range(9)))
    original = slow

    async def watched(job):
        peak["max_at_end"] = max(peak["max_at_end"], peak["now"] + 1)
        return await original(job)

    stats = await run_jobs(JobStream(endless(), 10), watched, out=out, rejected=tmp_path / "r.jsonl", workers=8)
    assert stats.kept == 1 and len(list(read_jsonl(out))) == 10
    assert peak["max_at_end"] >= 2  # one record short of the target, more than one job runs


async def test_a_job_failing_half_way_still_reports_what_it_spent(tmp_path):
    from toolace.llm.fake import ScriptedLLM

    llm = ScriptedLLM(["first reply", EngineError("engine died")])

    async def two_calls(job):
        await llm.chat([{"role": "user", "content": "x" * 40}])
        await llm.chat([{"role": "user", "content": "y"}])
        return Outcome(kept={"id": job.id})

    stats = await run_jobs(JobList([Job("only")]), two_calls, out=tmp_path / "o.jsonl", rejected=tmp_path / "r.jsonl",
                           workers=1)
    assert stats.reasons == {"engine_error": 1}
    assert stats.usage.requests == 1 and stats.usage.prompt_tokens == 10


async def test_cancelled_surplus_jobs_still_count_their_usage(tmp_path):
    import asyncio

    from toolace.llm.fake import ScriptedLLM

    llm = ScriptedLLM(responder=lambda request: "ok")

    async def stage(job):
        result = await llm.chat([{"role": "user", "content": "x"}])
        if job.payload > 0:
            await asyncio.sleep(5)  # still running when the target is reached
        return Outcome(kept={"id": job.id}, usage=result.usage)

    jobs = JobStream((Job(f"j{i}", i) for i in range(4)), target=1)
    stats = await run_jobs(jobs, stage, out=tmp_path / "o.jsonl", workers=4)
    assert stats.kept == 1 and stats.elapsed < 4  # the surplus job was cancelled, not waited for
    assert stats.usage.requests == llm.usage.requests == 2  # the cancelled job's request is counted too


# --- strata: a target split into quotas, each stratum with its own job stream ---------------------------------


def stream(name):
    return (Job(f"{name}-{i}", i) for i in itertools.count())


def test_allocate_is_exact_and_gives_every_stratum_one_when_it_fits():
    weights = {"a": 0.6, "b": 0.3, "c": 0.07, "d": 0.03}
    for count in range(0, 60):
        quotas = allocate(count, weights)
        assert sum(quotas.values()) == count
        if count >= 4:
            assert min(quotas.values()) >= 1
        if count >= 40:  # large enough that the at-least-one floor costs nothing: each within 1 of its share
            assert all(abs(quotas[k] - count * w) < 1 for k, w in weights.items()), (count, quotas)
    assert allocate(4, weights) == {"a": 1, "b": 1, "c": 1, "d": 1}
    assert allocate(3, weights, at_least_one=False) == {"a": 2, "b": 1, "c": 0, "d": 0}


async def test_a_slow_stratum_starts_early_and_fills_its_quota(tmp_path):
    started = []

    async def stage(job):
        started.append(job.id)
        await asyncio.sleep(0.05 if job.id.startswith("slow") else 0.001)
        return Outcome(kept={"id": job.id, "kind": job.id.split("-")[0]})

    strata = Strata({"fast": 18, "slow": 2}, {"fast": stream("fast"), "slow": stream("slow")})
    out = tmp_path / "out.jsonl"
    stats = await run_jobs(strata, stage, out=out, workers=8)
    kinds = Counter(r["kind"] for r in read_jsonl(out))
    assert kinds == {"fast": 18, "slow": 2} and stats.kept == 20
    assert any(i.startswith("slow") for i in started[:8])  # among the first jobs, not after every fast one


async def test_surplus_jobs_of_a_full_stratum_are_cancelled_and_not_written(tmp_path):
    cancelled = []

    async def stage(job):
        try:
            await asyncio.sleep(0.001 if job.payload == 0 else 0.5)
        except asyncio.CancelledError:
            cancelled.append(job.id)
            raise
        return Outcome(kept={"id": job.id, "kind": "a"})

    strata = Strata({"a": 1}, {"a": stream("a")})
    stats = await run_jobs(strata, stage, out=tmp_path / "out.jsonl", workers=4)
    assert [r["id"] for r in read_jsonl(tmp_path / "out.jsonl")] == ["a-0"]
    assert stats.kept == 1 and cancelled == ["a-1"]  # two in flight for a quota of one; the slow one is surplus


async def test_a_stratum_that_keeps_failing_is_given_up_and_its_quota_moves(tmp_path, caplog):
    async def stage(job):
        if job.id.startswith("bad"):
            return Outcome(rejected=Rejection("broken"))
        return Outcome(kept={"id": job.id, "kind": job.id.split("-")[0]})

    strata = Strata({"good": 6, "other": 3, "bad": 3}, {n: stream(n) for n in ("good", "other", "bad")}, give_up=5)
    out = tmp_path / "out.jsonl"
    stats = await run_jobs(strata, stage, out=out, rejected=tmp_path / "rej.jsonl", workers=4)
    kinds = Counter(r["kind"] for r in read_jsonl(out))
    assert kinds == {"good": 8, "other": 4} and stats.kept == 12  # bad's 3 split 2:1 like the others' quotas
    assert stats.reasons == {"broken": stats.rejected} and 5 <= stats.rejected <= 8  # 5, plus those in flight
    assert strata.given_up == {"bad": 3}
    assert "bad: 5 rejected for 0 kept; its 3 missing records go to good +2, other +1" in caplog.text


async def test_a_strata_run_resumes_per_stratum(tmp_path):
    async def stage(job):
        return Outcome(kept={"id": job.id, "kind": job.id.split("-")[0]})

    out = tmp_path / "out.jsonl"
    with open(out, "wb") as f:  # an earlier, interrupted run: 3 of a's 4 made, none of b's
        f.write(b"".join(b'{"id": "a-%d", "kind": "a"}\n' % i for i in range(3)))
    strata = Strata({"a": 4, "b": 2}, {"a": stream("a"), "b": stream("b")})
    stats = await run_jobs(strata, stage, out=out, workers=1)
    ids = [r["id"] for r in read_jsonl(out)]
    assert stats.skipped == 3 and sorted(ids) == ["a-0", "a-1", "a-2", "a-3", "b-0", "b-1"]


async def test_an_engine_failure_is_said_once_per_kind_of_message(tmp_path, caplog):
    async def stage(job):
        if job.payload < 6:
            raise EngineError(f"engine refused the request: [18:45:{job.payload:02d}] bad regex")
        return Outcome(kept={"id": job.id})

    stats = await run_jobs(JobStream(endless(), 2), stage, out=tmp_path / "out.jsonl", workers=1)
    assert stats.kept == 2 and stats.reasons == {"engine_error": 6}
    said = [r.getMessage() for r in caplog.records if "failed on the engine" in r.getMessage()]
    assert said == ["job j0 failed on the engine: engine refused the request: [18:45:00] bad regex"]
