import itertools

import pytest

from toolace.errors import EngineError
from toolace.jsonl import read_jsonl
from toolace.runner import Job, Outcome, parse_shard, run_jobs, shard_of


def endless():
    return (Job(f"j{i}", i) for i in itertools.count())


async def keep_even(job):
    if job.payload % 2:
        return Outcome(rejected={"id": job.id, "reason": "odd"}, reason="odd")
    return Outcome(kept={"id": job.id, "n": job.payload}, counters={"even": 1})


async def test_target_mode_keeps_exactly_n_replacing_rejections(tmp_path):
    out, rej = tmp_path / "out.jsonl", tmp_path / "rej.jsonl"
    stats = await run_jobs(endless(), keep_even, out=out, rejected=rej, workers=4, target=10)
    kept = list(read_jsonl(out))
    assert len(kept) == 10 and stats.kept == 10
    assert stats.reasons["odd"] == stats.rejected == len(list(read_jsonl(rej)))
    assert stats.counters["even"] == 10
    # Resume with a larger target continues without duplicates.
    stats2 = await run_jobs(endless(), keep_even, out=out, rejected=rej, workers=4, target=15)
    ids = [r["id"] for r in read_jsonl(out)]
    assert len(ids) == 15 == len(set(ids)) and stats2.skipped == 10


async def test_finite_mode_processes_each_job_once_and_resumes(tmp_path):
    out, rej = tmp_path / "out.jsonl", tmp_path / "rej.jsonl"
    jobs = [Job(f"j{i}", i) for i in range(20)]
    await run_jobs(jobs[:7], keep_even, out=out, rejected=rej, workers=3)
    stats = await run_jobs(jobs, keep_even, out=out, rejected=rej, workers=3)
    assert stats.skipped == 7 and stats.kept + stats.rejected == 13
    assert sorted(r["n"] for r in read_jsonl(out)) == list(range(0, 20, 2))


async def test_engine_failure_of_one_job_does_not_stop_the_run(tmp_path):
    async def flaky(job):
        if job.payload == 3:
            raise EngineError("boom")
        return Outcome(kept={"id": job.id})
    stats = await run_jobs([Job(f"j{i}", i) for i in range(6)], flaky, out=tmp_path / "o.jsonl",
                           rejected=tmp_path / "r.jsonl", workers=2)
    assert stats.kept == 5 and stats.reasons == {"engine_error": 1}
    assert not (tmp_path / "r.jsonl").exists() or list(read_jsonl(tmp_path / "r.jsonl")) == []
    # The failed job is not recorded as done: a re-run tries it again.
    async def healthy(job):
        return Outcome(kept={"id": job.id})
    again = await run_jobs([Job(f"j{i}", i) for i in range(6)], healthy, out=tmp_path / "o.jsonl",
                           rejected=tmp_path / "r.jsonl", workers=2)
    assert again.kept == 1 and again.skipped == 5


async def test_dead_engine_fails_fast(tmp_path):
    async def dead(job):
        raise EngineError("connection refused")
    with pytest.raises(EngineError, match="in a row failed"):
        await run_jobs(endless(), dead, out=tmp_path / "o.jsonl", workers=2, target=5, fail_fast_after=5)


async def test_shards_partition_jobs(tmp_path):
    jobs = [Job(f"j{i}", i * 2) for i in range(50)]
    seen = []
    for index in range(3):
        out = tmp_path / f"s{index}.jsonl"
        await run_jobs(jobs, keep_even, out=out, workers=3, shard=(index, 3))
        seen += [r["id"] for r in read_jsonl(out)]
    assert sorted(seen) == sorted(j.id for j in jobs)
    assert {shard_of("j1", 3)} <= {0, 1, 2}
    assert parse_shard("1/4") == (1, 4)
    with pytest.raises(Exception, match="need 0 <= I < N"):
        parse_shard("4/4")


async def test_a_stage_that_rejects_everything_gives_up_with_reasons(tmp_path):
    async def never(job):
        return Outcome(rejected={"id": job.id}, reason="bad_name")
    with pytest.raises(Exception, match=r"gave up after 30 jobs with only 0 of 5 kept; rejections: \{'bad_name': 30\}"):
        await run_jobs(endless(), never, out=tmp_path / "o.jsonl", rejected=tmp_path / "r.jsonl",
                       workers=4, target=5, max_jobs=30)


async def test_target_run_keeps_several_jobs_in_flight_near_the_end(tmp_path):
    import asyncio
    peak = {"now": 0, "max_at_end": 0}

    async def slow(job):
        peak["now"] += 1
        await asyncio.sleep(0.01)
        peak["now"] -= 1
        return Outcome(kept={"id": job.id}) if job.payload % 2 == 0 else Outcome(rejected={"id": job.id}, reason="odd")

    out = tmp_path / "o.jsonl"
    (out).write_text("".join(f'{{"id": "old{i}"}}\n' for i in range(9)))
    original = slow

    async def watched(job):
        peak["max_at_end"] = max(peak["max_at_end"], peak["now"] + 1)
        return await original(job)

    stats = await run_jobs(endless(), watched, out=out, rejected=tmp_path / "r.jsonl", workers=8, target=10)
    assert stats.kept == 10 and len(list(read_jsonl(out))) == 10
    assert peak["max_at_end"] >= 2  # one record short of the target, more than one job runs


async def test_a_job_failing_half_way_still_reports_what_it_spent(tmp_path):
    from toolace.llm.fake import ScriptedLLM

    llm = ScriptedLLM(["first reply", EngineError("engine died")])

    async def two_calls(job):
        await llm.chat([{"role": "user", "content": "x" * 40}])
        await llm.chat([{"role": "user", "content": "y"}])
        return Outcome(kept={"id": job.id})

    stats = await run_jobs([Job("only")], two_calls, out=tmp_path / "o.jsonl", rejected=tmp_path / "r.jsonl", workers=1)
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

    stats = await run_jobs([Job(f"j{i}", i) for i in range(4)], stage, out=tmp_path / "o.jsonl", workers=4, target=1)
    assert stats.kept == 1 and stats.elapsed < 4  # the surplus job was cancelled, not waited for
    assert stats.usage.requests == llm.usage.requests == 2  # the cancelled job's request is counted too
