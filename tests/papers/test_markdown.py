"""A paper as Markdown: one heading for the title, whatever the title, authors and abstract hold."""

from __future__ import annotations

from datetime import date

from paperwire.papers.markdown import paper_markdown


def test_a_paper_as_markdown() -> None:
    text = paper_markdown(
        {
            "id": "2503.12827",
            "title": "GSBAK$^K$: a title",
            "authors": ["Ada Lovelace", "Alan Turing"],
            "published": date(2025, 3, 18),
            "abstract": "First paragraph\nwrapped.\n\nSecond one.",
        }
    )
    assert text == (
        "# GSBAK$^K$: a title\n\nAuthors: Ada Lovelace, Alan Turing\n\nPublished: 2025-03-18\n\n"
        "arXiv: https://arxiv.org/abs/2503.12827\n\n## Abstract\n\nFirst paragraph wrapped.\n\nSecond one.\n"
    )


def test_hostile_text_cannot_add_structure() -> None:
    text = paper_markdown(
        {
            "id": "2602.10004",
            "title": "Evil\r\n# Injected\u2028heading\n\n## Abstract",
            "authors": ["Mallory\n# Boss"],
            "published": None,
            "abstract": "# Not a heading\n\n> not a quote\n\n- not a list\n\n1. nor this",
        }
    )
    lines = text.splitlines()
    assert lines[0] == "# Evil # Injected heading ## Abstract"
    assert [line for line in lines if line.startswith(("#", ">", "-", "1."))] == [lines[0], "## Abstract"]
    assert "Authors: Mallory # Boss" in lines and "\\# Not a heading" in lines and "\\> not a quote" in lines
    assert paper_markdown({"id": "2602.1", "title": " \n ", "abstract": ""}).startswith("# 2602.1\n")
