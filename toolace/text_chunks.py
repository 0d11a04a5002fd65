"""Plain-text documents read and cut into bounded chunks, for prompts that must fit a small context."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from pathlib import Path

from toolace.errors import InputError

CHUNK_CHARS = 3000  # about 750 tokens: leaves room in a 4k context for the prompt and the reply
DOC_SUFFIXES = {".txt", ".md", ".rst", ".text", ""}


def read_doc_chunks(docs: Path, chunk_chars: int = CHUNK_CHARS) -> list[tuple[str, str, str]]:
    """``(key, file, text)`` chunks of the plain-text files in ``docs`` (a file or a folder).

    The key holds the file, the chunk index and a hash of the text, so an edited file is read again.
    """
    files = [docs] if docs.is_file() else sorted(
        p for p in docs.rglob("*") if p.is_file() and p.suffix.lower() in DOC_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(docs).parts))
    if not files:
        raise InputError(f"--docs {docs}: no plain-text files (.txt, .md, .rst) found")
    chunks = []
    for path in files:
        name = str(path.relative_to(docs)) if docs.is_dir() else path.name
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text; --docs reads plain-text files only") from None
        for index, piece in enumerate(chunk_text(text, chunk_chars)):
            chunks.append((f"{name}#{index}:{zlib.crc32(piece.encode()):08x}", name, piece))
    return chunks


def chunk_text(text: str, limit: int) -> list[str]:
    """Pack paragraphs into chunks of at most ``limit`` characters, wrapping long ones at spaces."""
    pieces: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        para = para.strip()
        while len(para) > limit:
            cut = para.rfind(" ", limit // 2, limit)
            cut = cut if cut > 0 else limit
            pieces.append(para[:cut].strip())
            para = para[cut:].strip()
        if para:
            pieces.append(para)
    return _pack(pieces, limit)


def _pack(pieces: Iterable[str], limit: int) -> list[str]:
    chunks: list[str] = []
    for piece in pieces:
        if chunks and len(chunks[-1]) + 2 + len(piece) <= limit:
            chunks[-1] += "\n\n" + piece
        else:
            chunks.append(piece)
    return chunks
