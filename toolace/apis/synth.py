"""``synth-apis``: grow a valid, de-duplicated API library from a domain tree (DESIGN §1.2).

One job writes one API: sample a subtree (adaptation), pick an example and a mutation (evolution),
ask the model for a spec under a JSON Schema, convert it, check it, drop near-duplicates. Jobs come
from an endless deterministic stream run by the shared runner until exactly ``count`` APIs are kept;
re-running the same command resumes (the example buffer and duplicate index are rebuilt from the
output file).
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from pathlib import Path
from typing import Any

import networkx as nx
import orjson
from rich.console import Console

from toolace.apis.adapt import Subtree, SubtreeSampler
from toolace.apis.checks import api_problems
from toolace.apis.dedup import NearDuplicates
from toolace.apis.evolve import CHAIN, ExampleBuffer, load_examples
from toolace.apis.links import handles, leaf
from toolace.apis.spec import SPEC_SCHEMA, api_to_spec, chained_spec_schema
from toolace.apis.stats import api_figures
from toolace.apis.writer import synthesis_messages, versions, write_api
from toolace.config import ApisConfig, settle
from toolace.jsonl import iter_jsonl
from toolace.llm.base import LLMClient
from toolace.job_sources import JobStream
from toolace.jobs import Job, Outcome, Rejection
from toolace.run_stats import RunStats
from toolace.runner import rejected_path, run_jobs, stats_path
from toolace.tree import load_tree, path_names

BUFFER_SIZE = 256  # recent APIs an example is drawn from, beside the seeds


class ApiSynthesizer:
    """The per-job stage and the state jobs share: tree sampler, example buffer, duplicate index."""

    def __init__(self, llm: LLMClient, tree: nx.DiGraph, *, seed: int, config: ApisConfig):
        self.llm, self.tree, self.seed, self.config = llm, tree, seed, config
        self.sampler = SubtreeSampler(tree)
        self.buffer = ExampleBuffer(load_examples(), capacity=BUFFER_SIZE)
        self.duplicates = NearDuplicates(config.dedup_threshold)
        for example in load_examples():  # a copy of a built-in example is a duplicate too
            self.duplicates.admit(example)
        self.levels, self.level_weights = zip(*[(k, v) for k, v in config.levels.items() if v > 0])
        self.ops, self.op_weights = zip(*[(k, v) for k, v in config.mutations.items() if v > 0])
        self.prompts = versions()
        self.producers: list[dict[str, Any]] = []  # kept APIs a family (chain) job can extend
        self.extended: Counter = Counter()  # (producer, field) -> chain APIs written for it
        self.chains = 0  # family jobs started (resumed ones included)

    def remember(self, api: dict[str, Any]) -> None:
        """Take in an API kept earlier (resume): it joins the buffer, the duplicate index and the families."""
        self.duplicates.admit(api)
        self._keep(api)
        for link in (api.get("meta") or {}).get("links") or []:
            self.extended[(link["from"], link["field"])] += 1
            self.chains += 1

    def _keep(self, api: dict[str, Any]) -> None:
        self.buffer.add(api)
        nodes = (api.get("meta") or {}).get("tree_nodes") or []
        if handles(api) and nodes and all(n in self.tree for n in nodes):
            self.producers.append(api)

    def _chain_job(self, rng: random.Random, index: int) -> tuple[dict[str, Any], str, str] | None:
        """(producer, field, type) for a family job, or None. Family jobs keep up with the chain share
        of the jobs started so far, from the moment some kept API has an identifier to pass on (the
        first jobs of a run find none yet, and the next ones catch up)."""
        share = self.config.chain
        if not self.producers or share <= 0 or self.chains >= int((index + 1) * share):
            return None
        self.chains += 1
        options = [(api, f, t) for api in self.producers for f, t in handles(api)]
        fewest = min(self.extended[(api["name"], f)] for api, f, _ in options)
        return rng.choice([o for o in options if self.extended[(o[0]["name"], o[1])] == fewest])

    def jobs(self):
        return (Job(f"api-{self.seed}-{i:07d}", i) for i in itertools.count())

    async def __call__(self, job: Job) -> Outcome:
        rng = random.Random(f"{self.seed}:{job.payload}")
        chain = self._chain_job(rng, job.payload)
        links = []
        if chain:
            producer, field_, type_ = chain
            subtree = Subtree("family", tuple(producer["meta"]["tree_nodes"]))
            operation, parent, schema = CHAIN, producer["name"], chained_spec_schema(leaf(field_), type_)
            example = orjson.dumps(api_to_spec(producer)).decode()
            links = [{"from": producer["name"], "field": field_, "parameter": leaf(field_)}]
            self.extended[(producer["name"], field_)] += 1  # the next family job picks another field
        else:
            level = rng.choices(self.levels, self.level_weights)[0]
            subtree = self.sampler.sample(rng, level)
            operation, schema, field_ = rng.choices(self.ops, self.op_weights)[0], SPEC_SCHEMA, None
            parent, example = self.buffer.sample(rng)
        messages = synthesis_messages(self.sampler.describe(subtree), subtree.level, example, operation,
                                      leaf(field_) if field_ else None)
        api, failures, counters, result = await write_api(self.llm, messages, schema, seed=rng.randrange(2**31),
                                                          temperature=self.config.temperature)
        api["domain"] = path_names(self.tree, subtree.main)
        api["meta"] = {"source": "synth", "job_id": job.id, "parent": parent, "mutation": operation,
                       "level": subtree.level, "tree_nodes": list(subtree.nodes), "prompts": self.prompts,
                       "model": result.model or self.llm.model, "seed": self.seed, **({"links": links} if links else {})}
        failures += api_problems(api, name_pattern=self.config.name_pattern, require_returns=True)
        if failures:
            return Outcome(rejected=Rejection.checks(failures, record=api), usage=result.usage, counters=counters)
        duplicate = self.duplicates.admit(api)
        if duplicate is not None:
            name, similarity = duplicate
            return Outcome(rejected=Rejection.of("duplicate", f"{similarity:.2f} similar to {name}", record=api,
                                                 context={"duplicate_of": name, "similarity": similarity}),
                           usage=result.usage, counters=counters)
        self._keep(api)
        return Outcome(kept=api, usage=result.usage, counters=counters)


async def synth_apis(llm: LLMClient, tree: nx.DiGraph | str | Path, *, out: Path, seed: int = 0,
                     config: ApisConfig | None = None, rejected: Path | None = None, console: Console | None = None,
                     shard: tuple[int, int] | None = None, **options: Any) -> RunStats:
    """Write APIs to ``out`` until it holds exactly ``count``; counters go to ``stats_path(out)``.

    The settings are ``ApisConfig``'s: ``config`` (else the defaults) with ``options`` (``count=``,
    ``chain=``, ...) laid over it, validated as the CLI and the run config validate them.
    """
    config = settle(ApisConfig, options, config)
    count, workers = config.count, config.workers
    tree = tree if isinstance(tree, nx.DiGraph) else load_tree(tree)
    out = Path(out)
    synthesizer = ApiSynthesizer(llm, tree, seed=seed, config=config)
    if out.exists():
        for _, api in iter_jsonl(out):
            synthesizer.remember(api)
    return await run_jobs(JobStream(synthesizer.jobs(), count), synthesizer, out=out,
                          rejected=Path(rejected) if rejected else rejected_path(out), stats_file=stats_path(out),
                          name="synth-apis", figures=api_figures, workers=workers, shard=shard, label="synth-apis",
                          console=console, id_key="meta.job_id")
