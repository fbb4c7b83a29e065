"""A paper's BibTeX entry (@misc with eprint, as arXiv recommends), with every value escaped for BibTeX."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "$": r"\$",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_MATH = re.compile(r"(?<!\\)\$(.+?)(?<!\\)\$", re.S)
_NEW_ID_YEAR = re.compile(r"^(\d{2})\d{2}\.")
_OLD_ID_YEAR = re.compile(r"/(\d{2})\d{5}$")


def escape_bibtex(text: str) -> str:
    """Escape characters special to BibTeX and LaTeX; `$...$` math with balanced braces is kept as written."""
    out: list[str] = []
    last = 0
    for match in _MATH.finditer(text):
        out.append(_escape_plain(text[last : match.start()]))
        out.append(match.group(0) if _balanced(match.group(1)) else _escape_plain(match.group(0)))
        last = match.end()
    out.append(_escape_plain(text[last:]))
    return " ".join("".join(out).split())


def _escape_plain(text: str) -> str:
    return "".join(_SPECIAL.get(ch, ch) for ch in text)


def _balanced(text: str) -> bool:
    depth = 0
    for i, ch in enumerate(text):
        if i and text[i - 1] == "\\":
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def year_of(paper_id: str, published: date | None) -> int | None:
    """The year first published, or the one encoded in the arXiv id."""
    if published:
        return published.year
    match = _NEW_ID_YEAR.match(paper_id) or _OLD_ID_YEAR.search(paper_id)
    if not match:
        return None
    yy = int(match.group(1))
    return 2000 + yy if yy < 90 else 1900 + yy


def cite_key(paper: dict[str, Any]) -> str:
    """An ASCII key such as `smith2025gaussian`: first author's last name, year, first long title word."""
    authors = paper.get("authors") or []
    last = authors[0].split()[-1] if authors and authors[0].split() else "arxiv"
    words = [w for w in re.findall(r"[A-Za-z]+", _ascii(paper.get("title") or "")) if len(w) > 3]
    year = year_of(paper["id"], paper.get("published")) or ""
    key = f"{_ascii(last)}{year}{words[0] if words else ''}".lower()
    return re.sub(r"[^a-z0-9]", "", key) or re.sub(r"[^0-9a-z]", "", paper["id"].lower())


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def bibtex(paper: dict[str, Any], *, base_url: str = "https://arxiv.org/abs/") -> str:
    """The @misc entry of a paper row (id, title, authors, published, primary_category)."""
    fields = [
        ("title", "{" + escape_bibtex(paper.get("title") or "") + "}"),
        ("author", " and ".join(escape_bibtex(name) for name in paper.get("authors") or [])),
        ("year", str(year_of(paper["id"], paper.get("published")) or "")),
        ("eprint", escape_bibtex(paper["id"])),
        ("archivePrefix", "arXiv"),
        ("primaryClass", escape_bibtex(paper.get("primary_category") or "")),
        ("url", base_url + paper["id"]),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{cite_key(paper)},\n{body}\n}}"
