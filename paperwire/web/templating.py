"""Jinja2 templates with Paperwire's filters (dates, LaTeX to MathML, comment Markdown)."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from pathlib import Path

from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from paperwire.web.comment_markdown import render_comment
from paperwire.web.mathml import latex_to_mathml

TEMPLATES = Path(__file__).parent / "templates"
_MATH = re.compile(r"(?<!\\)\$(.+?)(?<!\\)\$", re.S)


def render_math(text: str) -> Markup:
    """Escape text and render `$...$` LaTeX spans as inert MathML (browsers draw it natively); bad LaTeX stays text."""
    parts: list[str] = []
    last = 0
    for match in _MATH.finditer(text or ""):
        parts.append(str(escape(text[last : match.start()])))
        try:
            parts.append(latex_to_mathml(match.group(1)))
        except Exception:
            parts.append(str(escape(match.group(0))))
        last = match.end()
    parts.append(str(escape((text or "")[last:])))
    return Markup("".join(parts))


def nice_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%d %b %Y").lstrip("0")


@cache
def templates() -> Jinja2Templates:
    """The site's templates with their filters, made on first use, one set per process."""
    made = Jinja2Templates(directory=str(TEMPLATES))
    made.env.filters.update(math=render_math, nice_date=nice_date, comment_markdown=render_comment)
    return made
