"""A paper as Markdown (title, authors, abstract, links): what `/papers/{id}.md` serves, as Hugging Face does."""

from __future__ import annotations

import re
from typing import Any

_SPACE = re.compile(r"\s+")
_LINE_START = re.compile(r"^([#>=\-+*]|\d+[.)])", re.M)


def _one_line(text: str) -> str:
    """Text on one line: a title or a name holding a line break cannot start a heading or a list of its own."""
    return _SPACE.sub(" ", text).strip()


def _paragraphs(text: str) -> str:
    """The abstract's paragraphs, each on one line, with a line that would start a heading, quote or list escaped."""
    paragraphs = [_one_line(p) for p in re.split(r"\n\s*\n", text or "")]
    return "\n\n".join(_LINE_START.sub(r"\\\1", p) for p in paragraphs if p)


def paper_markdown(paper: dict[str, Any]) -> str:
    """The paper's title (one heading), authors, first publication day, abstract and arXiv links, as Markdown.

    Markdown is text: what reaches a reader is the paper's own words; only line structure is controlled here,
    so a title or an abstract cannot add headings or sections of its own.
    """
    pid = paper["id"]
    title = _LINE_START.sub(r"\\\1", _one_line(paper["title"])) or pid
    authors = ", ".join(_one_line(name) for name in paper.get("authors") or [])
    lines = [f"# {title}", ""]
    if authors:
        lines += [f"Authors: {authors}", ""]
    if paper.get("published"):
        lines += [f"Published: {paper['published'].isoformat()}", ""]
    lines += [f"arXiv: https://arxiv.org/abs/{pid}", ""]
    abstract = _paragraphs(paper.get("abstract") or "")
    if abstract:
        lines += ["## Abstract", "", abstract, ""]
    return "\n".join(lines)
