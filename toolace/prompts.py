"""Prompt templates from ``prompts/``, versioned by content hash in every record's provenance.

Templates use ``string.Template`` placeholders (``$name`` / ``${name}``) so that JSON examples in a
template need no brace escaping. Static text comes first in every template so the engine's prefix
cache can serve it across requests.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from string import Template

# A link to the repository's prompts/ in a checkout; the files themselves in an installed wheel.
PROMPTS_DIR = Path(__file__).resolve().parent / "_bundled" / "prompts"


@dataclass(frozen=True)
class Prompt:
    name: str
    text: str

    @property
    def hash(self) -> str:
        """Short content hash: the template's version in provenance."""
        return hashlib.sha256(self.text.encode()).hexdigest()[:12]

    def render(self, **values: object) -> str:
        """Fill every placeholder; a missing value is a programming error, not a silent gap."""
        return Template(self.text).substitute({k: str(v) for k, v in values.items()})


@lru_cache(maxsize=None)
def load_prompt(name: str) -> Prompt:
    """Load ``prompts/NAME.txt``."""
    path = PROMPTS_DIR / f"{name}.txt"
    return Prompt(name, path.read_text(encoding="utf-8"))
