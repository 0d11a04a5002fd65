"""Prompt templates from ``prompts/``: one loader, one content hash, one provenance shape.

A prompt file is one template, sent as it is, or a set of ``## name`` sections (the template sent is
``prompt``; the other sections are task lines or choices filled into it, each without its surrounding
blank lines). Templates use ``string.Template`` placeholders (``$name`` / ``${name}``) so that JSON
examples in a template need no brace escaping. Static text comes first in every template so the
engine's prefix cache can serve it across requests.

Every record names the prompts it was made with as ``{"file name": content hash}``
(``prompt_versions``): a dialog's ``meta.prompts``, an API's ``meta.prompts``, a verdict's
``meta.verify.prompts``, a grown tree node's ``meta.prompts``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from string import Template

# A link to the repository's prompts/ in a checkout; the files themselves in an installed wheel.
PROMPTS_DIR = Path(__file__).resolve().parent / "_bundled" / "prompts"
MAIN = "prompt"  # the section sent; a file without sections is this section alone


@dataclass(frozen=True)
class Prompt:
    """One prompt file: its text (the version hashed) and its sections."""

    name: str
    text: str

    @property
    def hash(self) -> str:
        """Short content hash of the whole file: the template's version in provenance."""
        return hashlib.sha256(self.text.encode()).hexdigest()[:12]

    @cached_property
    def sections(self) -> dict[str, Template]:
        if not self.text.startswith("## "):
            return {MAIN: Template(self.text)}
        parts: dict[str, list[str]] = {}
        for line in self.text.splitlines():
            if line.startswith("## "):
                current = parts.setdefault(line[3:].strip(), [])
            else:
                current.append(line)
        return {name: Template("\n".join(lines).strip()) for name, lines in parts.items()}

    def render(self, section: str = MAIN, **values: object) -> str:
        """Fill every placeholder of ``section``; a missing value is a programming error, not a silent gap."""
        return self.sections[section].substitute({k: str(v) for k, v in values.items()})

    def lines(self, section: str) -> list[str]:
        """The non-blank lines of a section that lists choices (the user agent's styles)."""
        return [line for line in self.sections[section].template.splitlines() if line.strip()]

    def values(self, text: str, section: str = MAIN) -> dict[str, str]:
        """The values ``text`` was rendered from, read back through the template: what a scripted test
        model reads from a request, so that rewording a template cannot break it."""
        match = _pattern(self.sections[section].template).fullmatch(text)
        if match is None:
            raise ValueError(f"the text is not a rendering of {self.name} [{section}]")
        return match.groupdict()


@lru_cache(maxsize=None)
def _pattern(template: str) -> re.Pattern:
    parts, seen, at = [], set(), 0
    for m in Template.pattern.finditer(template):
        parts.append(re.escape(template[at:m.start()]))
        name = m.group("named") or m.group("braced")
        if name is None:  # "$$"
            parts.append(re.escape("$"))
        else:
            parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.*?)")
            seen.add(name)
        at = m.end()
    parts.append(re.escape(template[at:]))
    return re.compile("".join(parts), re.S)


@lru_cache(maxsize=None)
def load_prompt(name: str) -> Prompt:
    """Load ``prompts/NAME.txt``."""
    return Prompt(name, (PROMPTS_DIR / f"{name}.txt").read_text(encoding="utf-8"))


def prompt_versions(*names: str) -> dict[str, str]:
    """``{name: content hash}`` of the prompts a record was made with: its provenance."""
    return {name: load_prompt(name).hash for name in names}
