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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import orjson
from rich.console import Console

from toolace.apis.adapt import LEVELS, Subtree, SubtreeSampler
from toolace.apis.checks import DEFAULT_NAME_PATTERN, api_problems
from toolace.apis.dedup import NearDuplicates
from toolace.apis.evolve import CHAIN, MUTATIONS, ExampleBuffer, load_examples, prompt_hash, synthesis_messages
from toolace.apis.links import handles
from toolace.apis.spec import SPEC_SCHEMA, api_to_spec, chained_spec_schema, spec_to_api
from toolace.apis.stats import api_figures
from toolace.errors import InputError
from toolace.jsonl import iter_jsonl
from toolace.llm.base import LLMClient
from toolace.job_sources import JobStream
from toolace.jobs import Job, Outcome, Rejection
from toolace.run_stats import RunStats
from toolace.runner import rejected_path, run_jobs, stats_path
from toolace.tree import load_tree, path_names

DEFAULT_LEVELS = {"single": 0.4, "siblings": 0.35, "cross": 0.25}
DEFAULT_MUTATIONS = {name: 1 / len(MUTATIONS) for name in MUTATIONS}
DEFAULT_CHAIN_SHARE = 0.34


def parse_proportions(text: str | None, allowed: tuple[str, ...], option: str) -> dict[str, float]:
    """``"a=0.4,b=0.6"`` -> {a: 0.4, b: 0.6}; names not given get 0, at least one must be > 0."""
    if not text:
        return {}
    weights: dict[str, float] = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        name = name.strip()
        if name not in allowed:
            raise InputError(f"{option}: unknown name {name!r} (choose from {', '.join(allowed)})")
        try:
            weights[name] = float(value) if sep else float("nan")
        except ValueError:
            weights[name] = float("nan")
        if not weights[name] >= 0:
            raise InputError(f"{option}: {part.strip()!r} needs a number >= 0, like {name}=0.3")
    if not sum(weights.values()) > 0:
        raise InputError(f"{option}: at least one proportion must be above 0")
    return weights


@dataclass
class SynthConfig:
    """Everything about a synthesis run besides its size, model and files."""

    levels: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_LEVELS))
    mutations: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MUTATIONS))
    dedup_threshold: float = 0.85
    chain: float = DEFAULT_CHAIN_SHARE  # share of jobs that write the next API of a family (0 = none)
    name_pattern: str = DEFAULT_NAME_PATTERN
    rejected: Path | None = None  # default: apis.rejected.jsonl beside the output
    temperature: float = 0.8
    max_tokens: int = 1600
    buffer_size: int = 256


class ApiSynthesizer:
    """The per-job stage and the state jobs share: tree sampler, example buffer, duplicate index."""

    def __init__(self, llm: LLMClient, tree: nx.DiGraph, *, seed: int, config: SynthConfig):
        self.llm, self.tree, self.seed, self.config = llm, tree, seed, config
        self.sampler = SubtreeSampler(tree)
        self.buffer = ExampleBuffer(load_examples(), capacity=config.buffer_size)
        self.duplicates = NearDuplicates(config.dedup_threshold)
        for example in load_examples():  # a copy of a built-in example is a duplicate too
            self.duplicates.admit(example)
        self.levels, self.level_weights = zip(*[(k, v) for k, v in config.levels.items() if v > 0])
        self.ops, self.op_weights = zip(*[(k, v) for k, v in config.mutations.items() if v > 0])
        self.prompt_hash = prompt_hash()
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
            operation, parent, schema = CHAIN, producer["name"], chained_spec_schema(field_, type_)
            example = orjson.dumps(api_to_spec(producer)).decode()
            links = [{"from": producer["name"], "field": field_, "parameter": field_}]
            self.extended[(producer["name"], field_)] += 1  # the next family job picks another field
        else:
            level = rng.choices(self.levels, self.level_weights)[0]
            subtree = self.sampler.sample(rng, level)
            operation, schema, field_ = rng.choices(self.ops, self.op_weights)[0], SPEC_SCHEMA, None
            parent, example = self.buffer.sample(rng)
        messages = synthesis_messages(self.sampler.describe(subtree), subtree.level, example, operation, field_)
        result = await self.llm.chat(messages, schema=schema, schema_name="api_spec",
                                     temperature=self.config.temperature, max_tokens=self.config.max_tokens,
                                     seed=rng.randrange(2**31))
        api, failures, counters = spec_to_api(result.parsed)
        api["domain"] = path_names(self.tree, subtree.main)
        api["meta"] = {"source": "synth", "job_id": job.id, "parent": parent, "mutation": operation,
                       "level": subtree.level, "tree_nodes": list(subtree.nodes), "prompt": self.prompt_hash,
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


def _check_config(config: SynthConfig) -> None:
    for name, weights, allowed, option in (("levels", config.levels, LEVELS, "--levels"),
                                          ("mutations", config.mutations, MUTATIONS, "--mutations")):
        unknown = set(weights) - set(allowed)
        if unknown or not sum(weights.values()) > 0 or any(not w >= 0 for w in weights.values()):
            raise InputError(f"{option}: proportions must be >= 0 over {', '.join(allowed)}, one of them > 0"
                             + (f" (unknown: {', '.join(sorted(unknown))})" if unknown else ""))
    if not 0 < config.dedup_threshold <= 1:
        raise InputError("--dedup-threshold must be in (0, 1]")


async def synth_apis(llm: LLMClient, tree: nx.DiGraph | str | Path, *, count: int, workers: int, out: Path,
                     seed: int = 0, config: SynthConfig | None = None, console: Console | None = None,
                     shard: tuple[int, int] | None = None) -> RunStats:
    """Write APIs to ``out`` until it holds exactly ``count``; counters go to ``stats_path(out)``."""
    config = config or SynthConfig()
    _check_config(config)
    if count < 1 or workers < 1:
        raise InputError("--count and --workers must be at least 1")
    tree = tree if isinstance(tree, nx.DiGraph) else load_tree(tree)
    out = Path(out)
    synthesizer = ApiSynthesizer(llm, tree, seed=seed, config=config)
    if out.exists():
        for _, api in iter_jsonl(out):
            synthesizer.remember(api)
    return await run_jobs(JobStream(synthesizer.jobs(), count), synthesizer, out=out,
                          rejected=config.rejected or rejected_path(out), stats_file=stats_path(out),
                          name="synth-apis", figures=api_figures, workers=workers, shard=shard, label="synth-apis",
                          console=console, id_key="meta.job_id")
