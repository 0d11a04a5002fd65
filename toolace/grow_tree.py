"""Growing a domain tree with the LLM (DESIGN §1.1): expand nodes level by level, or extract from documents.

Expansion asks, for every node above the depth limit that has fewer than ``branching`` children,
for new children (structured reply: a bounded list of ``{name, description}``); the prompt carries
the node's path and its existing children. New names are de-duplicated against their siblings
after normalisation (:func:`normalise_name`). A node the LLM has answered for is marked
``meta.expanded = branching``; the output tree is rewritten atomically every few answers and
after each level, so a killed run re-run with the same command continues, and a finished tree
costs no request. With documents, each text chunk is read once (its key lands in the root's
``meta.docs_done``) and the functionalities found are placed under a matching domain.
"""

from __future__ import annotations

import asyncio
import re
import time
import zlib
from collections.abc import Awaitable, Callable, Container
from pathlib import Path
from typing import Any

import networkx as nx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from toolace.errors import EngineError, InputError, StructuredOutputError
from toolace.llm.base import ChatResult, LLMClient, Usage
from toolace.prompts import load_prompt, prompt_versions
from toolace.runner import write_json_atomic
from toolace.text_chunks import read_doc_chunks
from toolace.tree_stats import GrowStats, stats_file
from toolace.tree import MAX_DEPTH, domains, load_tree, path_names, save_tree, tree_from_dict

NAME_MAX, DESCRIPTION_MAX = 60, 200
MAX_BRANCHING = 64
FAIL_FAST_AFTER = 20  # failures in a row, none succeeded: the engine is down, stop instead of crawling on


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
                    console: Console | None = None, save_every: int | None = None) -> GrowStats:
    """Grow ``tree`` (or ``out`` when it exists: resume) into ``out``; see the module docstring.

    ``save_every``: rewrite ``out`` after this many answers; by default after 8 answers and no
    sooner than ten times the last save took, so saving a large tree costs at most ~10% of the run.
    """
    out = Path(out)
    console = console or Console(stderr=True)
    if out.exists():
        console.print(f"[dim]{out} exists: continuing from it[/dim]")
    G = start_tree(tree=tree, out=out, depth=depth, branching=branching, docs=docs, workers=workers)
    grower = _Grower(llm, G, out, depth=depth, branching=branching, workers=workers, seed=seed,
                     console=console, save_every=save_every)
    started = time.perf_counter()
    if docs is not None:
        await grower.from_docs(Path(docs))
    else:
        await grower.expand_levels()
    if grower.changed or not out.exists():
        save_tree(G, out)
    grower.stats.elapsed = time.perf_counter() - started
    write_json_atomic(stats_file(out), grower.stats.to_dict())
    return grower.stats


class _Grower:
    """One run's state: the graph, the limits, the counters and the save cadence."""

    def __init__(self, llm: LLMClient, G: nx.DiGraph, out: Path, *, depth: int, branching: int,
                 workers: int, seed: int | None, console: Console, save_every: int | None):
        self.llm, self.G, self.out = llm, G, out
        self.depth, self.branching, self.workers, self.seed = depth, branching, workers, seed
        self.console, self.save_every = console, save_every
        self.stats = GrowStats()
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

    def _count(self, added: tuple[str | None, str | None], proposal: dict[str, str]) -> str | None:
        """Count an ``add_child`` outcome (keeping a few dropped proposals to show why); the new id, or None."""
        node_id, reason = added
        if node_id is None:
            self.stats.dropped[reason] += 1
            examples = self.stats.dropped_examples.setdefault(reason, [])
            if len(examples) < 5:
                examples.append(f"{proposal['name']} | {proposal['description']}"[:160])
        else:
            self.stats.added[self.G.nodes[node_id]["depth"]] += 1
        return node_id

    # -- expansion -------------------------------------------------------------------------
    def pending(self, level: int) -> list[str]:
        """Nodes at ``level`` that may still get children and were not expanded with this branching."""
        G = self.G
        nodes = [n for n in G if G.nodes[n]["depth"] == level]
        done = {n for n in nodes if G.nodes[n]["meta"].get("expanded", 0) >= self.branching}
        self.stats.already_expanded += len(done)
        return sorted(n for n in nodes if n not in done and G.out_degree(n) < self.branching)

    async def expand_levels(self) -> None:
        prompt = load_prompt("tree_expand")
        self.examples = PromptEchoes(prompt.text)
        for level in range(self.depth):
            todo = self.pending(level)
            if todo:
                await self._run(f"level {level} -> {level + 1}", todo,
                                lambda node: self._ask_children(prompt, node),
                                lambda node, result: self._apply_children(prompt, node, result))
                self.save()

    async def _ask_children(self, prompt, node: str) -> ChatResult:
        G = self.G
        want = self.branching - G.out_degree(node)
        existing = [G.nodes[c]["name"] for c in sorted(G.successors(node))]
        shown = "; ".join(existing[:80]) + (f"; and {len(existing) - 80} more" if len(existing) > 80 else "")
        path = " > ".join(path_names(G, node)) or G.nodes[node]["name"]
        text = prompt.render(kind=_kind(G, node, self.depth), path=path,
                             description=G.nodes[node]["description"] or "(none)",
                             existing=shown or "(none)", count=want)
        return await self.llm.chat([{"role": "user", "content": text}], schema=_children_schema(want),
                                   schema_name="children", temperature=0.8, max_tokens=90 * want + 40,
                                   seed=_request_seed(self.seed, node))

    def _apply_children(self, prompt, node: str, result: ChatResult) -> None:
        meta = {"source": "llm", "model": result.model or self.llm.model, "prompts": prompt_versions(prompt.name)}
        for child in result.parsed["children"]:
            self._count(add_child(self.G, node, child["name"], child["description"], dict(meta),
                                  depth=self.depth, branching=self.branching, echoes=self.examples), child)
        self.G.nodes[node]["meta"]["expanded"] = self.branching
        self.stats.expanded += 1

    # -- documents -------------------------------------------------------------------------
    async def from_docs(self, docs: Path) -> None:
        prompt = load_prompt("tree_from_docs")
        self.examples = PromptEchoes(prompt.text)
        root_meta = self.G.nodes[self.G.graph["root"]]["meta"]
        done = set(root_meta.setdefault("docs_done", []))
        chunks = [c for c in read_doc_chunks(docs) if c[0] not in done]
        self.stats.docs_already = len(done)
        if chunks:
            await self._run("documents", chunks, lambda chunk: self._ask_docs(prompt, chunk),
                            lambda chunk, result: self._apply_docs(prompt, chunk, result))
            self.save()

    async def _ask_docs(self, prompt, chunk: tuple[str, str, str]) -> ChatResult:
        key, source, text = chunk
        known = "; ".join(self.G.nodes[d]["name"] for d in domains(self.G)) or "(none yet)"
        content = prompt.render(domains=known, source=source, text=text)
        return await self.llm.chat([{"role": "user", "content": content}], schema=DOCS_SCHEMA,
                                   schema_name="domains", temperature=0.2, max_tokens=1400,
                                   seed=_request_seed(self.seed, key))

    def _apply_docs(self, prompt, chunk: tuple[str, str, str], result: ChatResult) -> None:
        G, root = self.G, self.G.graph["root"]
        meta = {"source": "docs", "doc": chunk[1], "model": result.model or self.llm.model,
                "prompts": prompt_versions(prompt.name)}
        for found in result.parsed["domains"]:
            domain = self._domain_for(found["name"])
            if domain is None:
                domain, reason = add_child(G, root, found["name"], found["description"], dict(meta),
                                           depth=self.depth, branching=self.branching, echoes=self.examples)
                self._count((domain, reason), found)
                if domain is None:
                    self.stats.dropped[reason] += len(found["functionalities"])
                    continue
            taken = {normalise_name(G.nodes[n]["name"]) for n in nx.descendants(G, domain)}
            for item in found["functionalities"]:
                self._count(self._place(domain, item, dict(meta), taken), item)
        G.nodes[root]["meta"]["docs_done"].append(chunk[0])
        self.stats.doc_chunks += 1

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

    # -- concurrency -----------------------------------------------------------------------
    async def _run(self, label: str, items: list, ask: Callable[[Any], Awaitable[ChatResult]],
                   apply: Callable[[Any, ChatResult], None]) -> None:
        """``workers`` requests in flight; each answer is applied (and saved) as soon as it comes."""
        gate = asyncio.Semaphore(self.workers)

        async def one(item):
            async with gate:
                try:
                    return item, await ask(item)
                except (EngineError, StructuredOutputError) as e:
                    return item, e

        progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[tokens]:,} tok"), TimeElapsedColumn(), console=self.console)
        tasks = [asyncio.create_task(one(item)) for item in items]
        failed_in_a_row, succeeded = 0, False
        try:
            with progress:
                bar = progress.add_task(label, total=len(tasks), tokens=0)
                for next_done in asyncio.as_completed(tasks):
                    item, result = await next_done
                    if isinstance(result, ChatResult):
                        failed_in_a_row, succeeded = 0, True
                        self.stats.usage.add(result.usage)
                        apply(item, result)
                        self._save_soon()
                    else:
                        failed_in_a_row += 1
                        reason = getattr(result, "reason", None)
                        self.stats.failures[f"llm_{reason}" if reason else "engine_error"] += 1
                        self.stats.usage.add(getattr(result, "usage", None) or Usage())
                        if failed_in_a_row >= FAIL_FAST_AFTER and not succeeded:
                            raise EngineError(f"{failed_in_a_row} requests in a row failed, none succeeded; "
                                              f"last: {result}")
                    progress.update(bar, advance=1, tokens=self.stats.usage.total_tokens)
        finally:
            for task in tasks:
                task.cancel()
            self.save()


STOPWORDS = {"a", "an", "the", "and", "or", "of", "to", "for", "in", "on", "by", "with", "from", "at",
             "its", "it", "is", "be", "as", "that", "this", "their", "get", "list", "return", "set", "all"}


def _content_words(text: str) -> set[str]:
    return {_singular(w) for w in re.sub(r"[\W_]+", " ", text.casefold()).split()} - STOPWORDS
