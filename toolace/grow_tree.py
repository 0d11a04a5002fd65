"""Growing a domain tree with the LLM (DESIGN §1.1): expand nodes level by level, or extract from documents.

Expansion asks, for every node above the depth limit that has fewer than ``branching`` children,
for new children (structured reply: a bounded list of ``{name, description}``); the prompt carries
the node's path and its existing children. New names are de-duplicated against their siblings
after normalisation (:func:`normalise_name`). A node the LLM has answered for is marked
``meta.expanded = branching``; the output tree is rewritten atomically every few answers and
after each level, so a killed run re-run with the same command continues, and a finished tree
costs no request. With documents, each text chunk is read once (its key lands in the root's
``meta.docs_done``) and the functionalities found are placed under a matching domain.

The shared runner runs it: one job asks about one node (a level's nodes once the level above is
done) or one document chunk; its answer's children are added to the tree (kept) or dropped with
their reason to ``tree.rejected.jsonl``, and counted in ``tree.stats.json``.
"""

from __future__ import annotations

import re
import time
import zlib
from collections import Counter
from collections.abc import Container
from pathlib import Path
from typing import Any

import networkx as nx
from rich.console import Console

from toolace.errors import InputError
from toolace.job_sources import Batches, JobList, JobSource
from toolace.jobs import Job, Outcome, Rejection
from toolace.llm.base import LLMClient
from toolace.prompts import load_prompt, prompt_versions
from toolace.run_stats import RunStats
from toolace.runner import Stage, rejected_path, run_jobs, stats_path
from toolace.text_chunks import read_doc_chunks
from toolace.tree import MAX_DEPTH, domains, load_tree, path_names, save_tree, tree_from_dict
from toolace.tree_stats import CHUNKS, EXPANDED

NAME_MAX, DESCRIPTION_MAX = 60, 200
MAX_BRANCHING = 64
FAIL_FAST_AFTER = 20  # failures in a row, none succeeded: the engine is down, stop instead of crawling on
WHY_DROPPED = {"invalid": "not a usable name and description (an identifier, template debris, a URL, a loop)",
               "prompt_echo": "copies an example or a phrase of the prompt",
               "too_deep": "its parent is at the depth limit",
               "duplicate": "a sibling, the parent or a node of the domain has this name once normalised",
               "no_room": "its parent already has the most children allowed"}


def normalise_name(name: str) -> str:
    """A sibling name's identity: casefolded, punctuation and spaces gone, simple plurals folded.

    "Flight Search", "flight-searches" and "FLIGHT SEARCH" all give ``flightsearch``.
    """
    return "".join(_singular(w) for w in re.sub(r"[\W_]+", " ", name.casefold()).split())


def _singular(word: str) -> str:
    if len(word) <= 3:
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def is_junk(name: str, description: str) -> bool:
    """True for an unusable proposal: no real name, an identifier (``search_flight``, ``a.b.c``),
    template debris (``{name}``, ``[Your Name]``), a URL for a description, a description that only
    repeats the name, or text stuck in a loop ("PetCare PetPets PetPets PetPets")."""
    return (sum(c.isalpha() for c in name) < 2 or len(name.split()) > 10 or not description
            or re.search(r"[_{}\[\]<>|\\$@#%^*=~`]|\w\.\w+\.\w", name) is not None
            or re.search(r"[{}\[\]<>|\\]|https?://|www\.", description) is not None
            or normalise_name(description) == normalise_name(name)
            or _looping(name) or _looping(description))


def _looping(text: str) -> bool:
    words = text.casefold().split()
    return len(words) >= 4 and len(set(words)) * 2 <= len(words)


class PromptEchoes:
    """Names that only copy the prompt, as a weak model does: a quoted example (also glued into a
    longer name, "searchflightsbyrouteanddate") or a phrase of its instructions ("2 to 6 words")."""

    def __init__(self, template: str):
        quoted = [_loose(q) for q in re.findall(r'"([^"\n]+)"', template)]
        self.short = {q for q in quoted if len(q) < 12}
        self.long = [q for q in quoted if len(q) >= 12]
        self.text = _loose(template)

    def __contains__(self, name: str) -> bool:
        key = _loose(name)
        return (key in self.short or any(q in key for q in self.long)
                or (len(name.split()) >= 3 and key in self.text))


def _loose(text: str) -> str:
    return re.sub(r"[\W_s]+", "", text.casefold())


def slug(name: str) -> str:
    """The id part for a name: lowercase ASCII words joined by ``_`` (a hash for non-Latin names)."""
    text = re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_")[:48].rstrip("_")
    return text or f"n{zlib.crc32(name.encode()):08x}"


def add_child(G: nx.DiGraph, parent: str, name: str, description: str, meta: dict[str, Any], *,
              depth: int, branching: int, taken: set[str] = frozenset(),
              echoes: Container[str] = frozenset()) -> tuple[str | None, str | None]:
    """Add one proposed child under ``parent``: ``(new id, None)`` or ``(None, why it was dropped)``.

    ``taken`` holds normalised names that also count as duplicates (besides the siblings);
    ``echoes`` the prompt's own example names, which a weak model copies.
    """
    name = " ".join(name.split()).strip(" .,;:!?-_'\"")
    description = " ".join(description.split())
    key = normalise_name(name)
    if is_junk(name, description):
        return None, "invalid"
    if name in echoes:
        return None, "prompt_echo"
    if G.nodes[parent]["depth"] + 1 > depth:
        return None, "too_deep"
    siblings = {normalise_name(G.nodes[c]["name"]) for c in G.successors(parent)}
    if key in siblings or key == normalise_name(G.nodes[parent]["name"]) or key in taken:
        return None, "duplicate"
    if G.out_degree(parent) >= branching:
        return None, "no_room"
    base = slug(name) if parent == G.graph["root"] else f"{parent}.{slug(name)}"
    node_id, n = base, 1
    while node_id in G:
        n += 1
        node_id = f"{base}_{n}"
    G.add_node(node_id, name=name, description=description, meta=meta, depth=G.nodes[parent]["depth"] + 1)
    G.add_edge(parent, node_id)
    return node_id, None


def _children_schema(count: int) -> dict[str, Any]:
    item = {"type": "object", "additionalProperties": False, "required": ["name", "description"],
            "properties": {"name": {"type": "string", "minLength": 1, "maxLength": NAME_MAX},
                           "description": {"type": "string", "minLength": 1, "maxLength": DESCRIPTION_MAX}}}
    return {"type": "object", "additionalProperties": False, "required": ["children"],
            "properties": {"children": {"type": "array", "items": item, "minItems": 1, "maxItems": count}}}


DOCS_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["domains"],
    "properties": {"domains": {"type": "array", "maxItems": 3, "items": {
        "type": "object", "additionalProperties": False, "required": ["name", "description", "functionalities"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 40},
            "description": {"type": "string", "minLength": 1, "maxLength": 160},
            "functionalities": {"type": "array", "maxItems": 8,
                                "items": _children_schema(1)["properties"]["children"]["items"]}}}}},
}


def _kind(G: nx.DiGraph, node: str, depth: int) -> str:
    if node == G.graph["root"]:
        return "The node is the root: its children are broad top-level application domains."
    if G.out_degree(node) == 0 and G.nodes[node]["depth"] >= 2:
        return ("The node is already a concrete functionality: its children are more specific variants "
                "of that operation, each still one API endpoint.")
    if G.nodes[node]["depth"] + 1 >= depth:
        return ('The children are leaves: each must be a concrete functionality that one API endpoint '
                'performs, named as a verb phrase (e.g. "Search flights by route and date").')
    return "The children are narrower areas of the node; each will later be split into concrete functionalities."


def _request_seed(seed: int | None, key: str) -> int | None:
    return None if seed is None else seed + zlib.crc32(key.encode()) % 1_000_000


def start_tree(*, tree: Path | None, out: Path, depth: int, branching: int, docs: Path | None = None,
               workers: int = 1) -> nx.DiGraph:
    """Check the options and load the tree to grow: ``out`` when it exists (resume), else ``tree``."""
    if not 1 <= depth <= MAX_DEPTH:
        raise InputError(f"--depth must be between 1 and {MAX_DEPTH}, not {depth}")
    if not 1 <= branching <= MAX_BRANCHING:
        raise InputError(f"--branching must be between 1 and {MAX_BRANCHING}, not {branching}")
    if workers < 1:
        raise InputError(f"--workers must be at least 1, not {workers}")
    if tree is None and docs is None:
        raise InputError("give --tree (a tree to expand) or --docs (documents to build one from)")
    if docs is not None and not Path(docs).exists():
        raise InputError(f"--docs {docs}: no such file or folder")
    if Path(out).exists():
        return load_tree(out)
    if tree is not None:
        return load_tree(tree)
    return tree_from_dict({"format": "toolace-tree", "version": 1, "name": "from-docs", "nodes": [
        {"id": "root", "name": "All domains", "description": "Domains found in documents.", "parent": None}]})


async def grow_tree(llm: LLMClient, *, tree: Path | None, out: Path, depth: int, branching: int,
                    docs: Path | None = None, workers: int = 8, seed: int | None = None,
                    console: Console | None = None, save_every: int | None = None) -> RunStats:
    """Grow ``tree`` (or ``out`` when it exists: resume) into ``out``; see the module docstring.

    ``save_every``: rewrite ``out`` after this many answers; by default after 8 answers and no
    sooner than ten times the last save took, so saving a large tree costs at most ~10% of the run.
    """
    out = Path(out)
    console = console or Console(stderr=True)
    if out.exists():
        console.print(f"[dim]{out} exists: continuing from it[/dim]")
    else:  # a new tree: counts left by an earlier one are not its own
        stats_path(out).unlink(missing_ok=True)
    G = start_tree(tree=tree, out=out, depth=depth, branching=branching, docs=docs, workers=workers)
    grower = _Grower(llm, G, out, depth=depth, branching=branching, seed=seed, save_every=save_every)
    source, stage = grower.from_docs(Path(docs)) if docs is not None else grower.levels()
    try:
        facts = {"depth": depth, "branching": branching, "docs": str(docs) if docs else None}
        stats = await run_jobs(source, stage, out=None, rejected=rejected_path(out), stats_file=stats_path(out),
                               name="grow-tree", facts=facts, workers=workers, label="grow-tree", console=console,
                               fail_fast_after=FAIL_FAST_AFTER)
    finally:
        grower.save()
    if grower.changed or not out.exists():
        save_tree(G, out)
    return stats


class _Grower:
    """One run's state: the graph, the limits and the save cadence; its stages ask and apply answers."""

    def __init__(self, llm: LLMClient, G: nx.DiGraph, out: Path, *, depth: int, branching: int,
                 seed: int | None, save_every: int | None):
        self.llm, self.G, self.out = llm, G, out
        self.depth, self.branching, self.seed, self.save_every = depth, branching, seed, save_every
        self.examples: Container[str] = frozenset()
        self.changed = False
        self.unsaved = 0
        self.saved_at, self.save_cost = 0.0, 0.0

    def _save_soon(self) -> None:
        self.changed = True
        self.unsaved += 1
        if self.save_every is not None:
            due = self.unsaved >= self.save_every
        else:
            due = self.unsaved >= 8 and time.perf_counter() - self.saved_at >= 10 * self.save_cost
        if due:
            self.save()

    def save(self) -> None:
        if self.unsaved:
            started = time.perf_counter()
            save_tree(self.G, self.out)
            self.saved_at = time.perf_counter()
            self.save_cost = self.saved_at - started
            self.unsaved = 0

    def _outcome(self, added: tuple[str | None, str | None], proposal: dict[str, Any], parent: str) -> Outcome:
        """An ``add_child`` result as the runner counts it: a node kept, or a proposal dropped with its reason."""
        node_id, reason = added
        if node_id is not None:
            depth = self.G.nodes[node_id]["depth"]
            return Outcome(kept={"id": node_id}, counters=Counter({f"added at depth {depth}": 1}))
        return Outcome(rejected=Rejection.of(reason, WHY_DROPPED[reason], record=proposal, context={"parent": parent},
                                             id=f"{parent}>{normalise_name(proposal['name'])}"))

    # -- expansion -------------------------------------------------------------------------
    def pending(self, level: int) -> list[str]:
        """Nodes at ``level`` that may still get children and were not expanded with this branching."""
        G = self.G
        nodes = [n for n in G if G.nodes[n]["depth"] == level]
        done = {n for n in nodes if G.nodes[n]["meta"].get("expanded", 0) >= self.branching}
        self.source.skipped += len(done)
        return sorted(n for n in nodes if n not in done and G.out_degree(n) < self.branching)

    def levels(self) -> tuple[JobSource, Stage]:
        """The expansion's jobs, level by level (a level's nodes are known once the one above is done), and
        its stage."""
        self.prompt = load_prompt("tree_expand")
        self.examples = PromptEchoes(self.prompt.text)

        def batches():
            for level in range(self.depth):
                self.save()
                yield [Job(node, node) for node in self.pending(level)]

        self.source = Batches(batches())
        return self.source, self.expand

    async def expand(self, job: Job) -> list[Outcome]:
        """The stage: ask for a node's new children and add them."""
        node, G = job.payload, self.G
        want = self.branching - G.out_degree(node)
        existing = [G.nodes[c]["name"] for c in sorted(G.successors(node))]
        shown = "; ".join(existing[:80]) + (f"; and {len(existing) - 80} more" if len(existing) > 80 else "")
        path = " > ".join(path_names(G, node)) or G.nodes[node]["name"]
        text = self.prompt.render(kind=_kind(G, node, self.depth), path=path,
                                  description=G.nodes[node]["description"] or "(none)",
                                  existing=shown or "(none)", count=want)
        result = await self.llm.chat([{"role": "user", "content": text}], schema=_children_schema(want),
                                     schema_name="children", temperature=0.8, max_tokens=90 * want + 40,
                                     seed=_request_seed(self.seed, node))
        meta = {"source": "llm", "model": result.model or self.llm.model,
                "prompts": prompt_versions(self.prompt.name)}
        outcomes = [Outcome(counters=Counter({EXPANDED: 1}))]
        for child in result.parsed["children"]:
            outcomes.append(self._outcome(add_child(G, node, child["name"], child["description"], dict(meta),
                                                    depth=self.depth, branching=self.branching,
                                                    echoes=self.examples), child, node))
        G.nodes[node]["meta"]["expanded"] = self.branching
        self._save_soon()
        return outcomes

    # -- documents -------------------------------------------------------------------------
    def from_docs(self, docs: Path) -> tuple[JobSource, Stage]:
        """A job for each document chunk not read yet, and the stage that reads one."""
        self.prompt = load_prompt("tree_from_docs")
        self.examples = PromptEchoes(self.prompt.text)
        root_meta = self.G.nodes[self.G.graph["root"]]["meta"]
        done = set(root_meta.setdefault("docs_done", []))
        chunks = [c for c in read_doc_chunks(docs) if c[0] not in done]
        source = JobList([Job(chunk[0], chunk) for chunk in chunks], total=len(chunks))
        source.skipped = len(done)
        return source, self.read_chunk

    async def read_chunk(self, job: Job) -> list[Outcome]:
        """The stage: ask for a chunk's domains and functionalities and place them."""
        key, doc, text = job.payload
        G, root = self.G, self.G.graph["root"]
        known = "; ".join(G.nodes[d]["name"] for d in domains(G)) or "(none yet)"
        content = self.prompt.render(domains=known, source=doc, text=text)
        result = await self.llm.chat([{"role": "user", "content": content}], schema=DOCS_SCHEMA, schema_name="domains",
                                     temperature=0.2, max_tokens=1400, seed=_request_seed(self.seed, key))
        meta = {"source": "docs", "doc": doc, "model": result.model or self.llm.model,
                "prompts": prompt_versions(self.prompt.name)}
        outcomes = [Outcome(counters=Counter({CHUNKS: 1}))]
        for found in result.parsed["domains"]:
            domain = self._domain_for(found["name"])
            if domain is None:
                domain, reason = add_child(G, root, found["name"], found["description"], dict(meta),
                                           depth=self.depth, branching=self.branching, echoes=self.examples)
                outcomes.append(self._outcome((domain, reason), found, root))
                if domain is None:  # its functionalities go with it
                    outcomes += [self._outcome((None, reason), item, f"{root}>{normalise_name(found['name'])}")
                                 for item in found["functionalities"]]
                    continue
            taken = {normalise_name(G.nodes[n]["name"]) for n in nx.descendants(G, domain)}
            for item in found["functionalities"]:
                outcomes.append(self._outcome(self._place(domain, item, dict(meta), taken), item, domain))
        G.nodes[root]["meta"]["docs_done"].append(key)
        self._save_soon()
        return outcomes

    def _domain_for(self, name: str) -> str | None:
        key = normalise_name(name)
        for d in domains(self.G):
            if key in (normalise_name(self.G.nodes[d]["name"]), normalise_name(d.replace("_", " "))):
                return d
        return None

    def _place(self, domain: str, item: dict[str, str], meta: dict[str, Any],
               taken: set[str]) -> tuple[str | None, str | None]:
        """Put a functionality under the domain's area that shares most words with it, else the domain."""
        G = self.G
        words = _content_words(item["name"] + " " + item["description"])
        # Functionalities placed from documents earlier are leaves, never areas for the next ones.
        areas = [(len(words & _content_words(G.nodes[a]["name"] + " " + G.nodes[a]["description"])), a)
                 for a in sorted(G.successors(domain)) if G.nodes[a]["meta"].get("source") != "docs"]
        ranked = [a for score, a in sorted(areas, key=lambda sa: -sa[0]) if score > 0]
        for parent in [*ranked[:1], domain]:
            node_id, reason = add_child(G, parent, item["name"], item["description"], meta,
                                        depth=self.depth, branching=self.branching, taken=taken,
                                        echoes=self.examples)
            if node_id is not None:
                taken.add(normalise_name(item["name"]))
            if node_id is not None or reason not in ("no_room", "too_deep"):
                break
        return node_id, reason


STOPWORDS = {"a", "an", "the", "and", "or", "of", "to", "for", "in", "on", "by", "with", "from", "at",
             "its", "it", "is", "be", "as", "that", "this", "their", "get", "list", "return", "set", "all"}


def _content_words(text: str) -> set[str]:
    return {_singular(w) for w in re.sub(r"[\W_]+", " ", text.casefold()).split()} - STOPWORDS
