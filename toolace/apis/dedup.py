"""Near-duplicate detection for an API library: same normalised name, or similar words.

Similarity is the Jaccard index of an API's word set (name words, description words, parameter
names). MinHash LSH (datasketch) finds the candidates in about constant time per API; the exact
Jaccard index of the stored word sets then decides, so LSH's false positives never reject an API.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datasketch import MinHash

_WORD = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NUM_PERM = 64


def normalised_name(name: str) -> str:
    """``getWeather``, ``get_weather`` and ``Get-Weather`` all become ``getweather``."""
    return "".join(_WORD.findall(name.lower()))


def _words(text: str) -> list[str]:
    return _WORD.findall(_CAMEL.sub(" ", text).lower())


def _parameter_names(schema: Any) -> list[str]:
    names = []
    if isinstance(schema, dict):
        properties = schema.get("properties")
        if isinstance(properties, dict):
            for name, sub in properties.items():
                names.append(str(name))
                names.extend(_parameter_names(sub))
        names.extend(_parameter_names(schema.get("items")))
    return names


def api_words(api: dict[str, Any]) -> frozenset[str]:
    """The word set compared between APIs; parameter names are kept whole and tagged."""
    words = {f"n:{w}" for w in _words(str(api.get("name", "")))}
    words.update(_words(str(api.get("description", ""))))
    words.update(f"p:{name.lower()}" for name in _parameter_names(api.get("parameters")))
    return frozenset(words)


class NearDuplicates:
    """The APIs seen so far, and whether a new one duplicates one of them."""

    def __init__(self, threshold: float = 0.85):
        from datasketch import MinHash, MinHashLSH  # here: importing it costs a second and a half

        if not 0 < threshold <= 1:
            raise ValueError("the similarity threshold must be in (0, 1]")
        self.threshold = threshold
        # LSH looks a little below the threshold: the exact check decides, and this way fewer true
        # duplicates slip through MinHash's estimation error (and very high thresholds stay possible).
        self._lsh = MinHashLSH(threshold=min(0.9, threshold * 0.9), num_perm=_NUM_PERM)
        template = MinHash(num_perm=_NUM_PERM)  # permutations made once: building them dominates otherwise
        self._permutations, self._scheme = template.permutations, template.scheme
        self._new = MinHash
        self._names: dict[str, str] = {}  # normalised name -> name
        self._words: dict[str, frozenset[str]] = {}  # key in the LSH -> word set

    def _minhash(self, words: frozenset[str]) -> "MinHash":
        minhash = self._new(num_perm=_NUM_PERM, permutations=self._permutations, scheme=self._scheme)
        minhash.update_batch([w.encode() for w in words])
        return minhash

    def admit(self, api: dict[str, Any]) -> tuple[str, float] | None:
        """Remember ``api`` unless it duplicates a known one: then (that one's name, similarity)."""
        name = str(api.get("name", ""))
        key = normalised_name(name)
        if key in self._names:
            return self._names[key], 1.0
        words = api_words(api)
        minhash = self._minhash(words) if words else None
        if minhash is not None:
            best: tuple[str, float] | None = None
            for other_name in self._lsh.query(minhash):
                other = self._words[other_name]
                similarity = len(words & other) / len(words | other)
                if similarity >= self.threshold and (best is None or similarity > best[1]):
                    best = (other_name, round(similarity, 3))
            if best is not None:
                return best
            self._words[name] = words
            self._lsh.insert(name, minhash)
        self._names[key] = name
        return None

    def __len__(self) -> int:
        return len(self._names)
