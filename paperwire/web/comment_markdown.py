"""Comment bodies as inert HTML: CommonMark (markdown-it-py, raw HTML off) with `$...$` and `$$...$$` as MathML.

Math spans are cut out before Markdown sees them (so `$a*b*c$` is not emphasis) and come back as MathML from the
same converter as abstracts (`mathml.latex_to_mathml`), or as their source inside code. Links survive only with an
http, https or mailto scheme; images become links, so a comment loads nothing. Then nh3 keeps only an allowlist of
Markdown tags and presentation MathML, and gives every link `rel="nofollow ugc noopener noreferrer"`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cache
from urllib.parse import quote

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markupsafe import Markup

from paperwire.web.mathml import MATHML_ATTRIBUTES, MATHML_TAGS, bounded_length, latex_to_mathml

LINK_REL = "nofollow ugc noopener noreferrer"
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
# Headings are demoted below the page's own (h1 the paper, h2 "Comments", h3 none), so h1 becomes h4.
_HEADINGS = {"h1": "h4", "h2": "h5", "h3": "h6", "h4": "h6", "h5": "h6", "h6": "h6"}
MARKDOWN_TAGS = frozenset(
    {"p", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a", "br", "hr", *set(_HEADINGS.values())}
)

# `$$display$$` first, then `$inline$`: an inline span neither starts nor ends with a space and holds no blank
# line, so "costs $5 and $10" stays text. A backslash escapes a dollar, as in LaTeX and Markdown.
_MATH = re.compile(
    r"(?<!\\)\$\$(?P<display>(?:\\.|[^$\\]|\$(?!\$))+?)\$\$"
    r"|(?<!\\)\$(?!\s)(?P<inline>(?:\\.|[^$\\\n]|\n(?![ \t]*\n))+?)(?<!\s)\$",
    re.S,
)
# A protected span stands in the text as private-use characters around its number (user text never holds
# them: they are removed first), which Markdown treats as plain letters.
_OPEN, _CLOSE = "\ue000", "\ue001"
_SLOT = re.compile(f"{_OPEN}(\\d+){_CLOSE}")
_SLOT_IN_URL = re.compile(rf"{quote(_OPEN)}(\d+){quote(_CLOSE)}")
_URL = re.compile(r"https?://[^\s<>\"'`]+[^\s<>\"'`.,;:!?)\]]")


def _valid_link(url: str) -> bool:
    """Only absolute http(s) and mailto links (markdown-it has percent-encoded control characters already)."""
    scheme, colon, _ = url.partition(":")
    return bool(colon) and scheme.lower() in LINK_SCHEMES


@cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": True, "typographer": False})
    md.validateLink = _valid_link  # type: ignore[method-assign]
    md.core.ruler.push("paperwire_comment", _rewrite_tokens)
    md.add_render_rule("math", lambda self, tokens, idx, options, env: tokens[idx].content)
    return md


@cache
def _cleaner() -> nh3.Cleaner:
    attributes: dict[str, set[str]] = {tag: set(MATHML_ATTRIBUTES) for tag in MATHML_TAGS}
    attributes.update({"a": {"href", "title"}, "ol": {"start"}})
    return nh3.Cleaner(
        tags=set(MATHML_TAGS | MARKDOWN_TAGS),
        attributes=attributes,
        attribute_filter=bounded_length,
        clean_content_tags={"script", "style", "template", "noscript", "annotation-xml", "title", "textarea", "xmp"},
        url_schemes=set(LINK_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_comment(text: str) -> Markup:
    """A comment's Markdown source as sanitised HTML with its math as MathML."""
    source = (text or "").replace(_OPEN, "").replace(_CLOSE, "")
    spans: list[tuple[str, str]] = []  # (the LaTeX source with its dollars, its MathML or escaped source)

    def protect(match: re.Match[str]) -> str:
        display = match.group("display") is not None
        latex = match.group("display") if display else match.group("inline")
        try:
            markup = latex_to_mathml(latex, display="block" if display else "inline")
        except Exception:  # bad LaTeX stays text
            markup = str(Markup.escape(match.group(0)))
        spans.append((match.group(0), markup))
        return f"{_OPEN}{len(spans) - 1}{_CLOSE}"

    protected = _MATH.sub(protect, source)
    html = _parser().render(protected, {"paperwire_math": spans})
    return Markup(_cleaner().clean(html))


def _source_of(text: str, spans: list[tuple[str, str]]) -> str:
    """Text with each protected span put back as the LaTeX it was (for code, titles and link targets)."""
    return _SLOT.sub(lambda m: spans[int(m.group(1))][0], text)


def _rewrite_tokens(state: StateCore) -> None:
    """Core rule: math into MathML tokens, code back to its source, images into links, headings demoted."""
    spans: list[tuple[str, str]] = state.env.get("paperwire_math", [])
    for token in state.tokens:
        if token.type in ("fence", "code_block"):
            token.content = _source_of(token.content, spans)
        elif token.type in ("heading_open", "heading_close"):
            token.tag = _HEADINGS[token.tag]
        elif token.type == "inline" and token.children:
            token.children = list(_inline(token.children, spans, state.md))


def _inline(children: list[Token], spans: list[tuple[str, str]], md: MarkdownIt) -> Iterator[Token]:
    depth = 0  # inside how many links: no links are made inside a link
    for token in _without_images(children):
        if token.type == "link_open":
            depth += 1
            href = str(token.attrGet("href") or "")
            token.attrSet("href", _SLOT_IN_URL.sub(lambda m: quote(spans[int(m.group(1))][0], safe=""), href))
            if token.attrGet("title"):
                token.attrSet("title", _source_of(str(token.attrGet("title")), spans))
        elif token.type == "link_close":
            depth -= 1
        elif token.type == "code_inline":
            token.content = _source_of(token.content, spans)
        elif token.type == "text":
            yield from _text(token.content, spans, md, linkify=depth == 0)
            continue
        yield token


def _without_images(children: Iterable[Token], in_link: bool = False) -> Iterator[Token]:
    """Images as links to their address (their alt text as the label), or as their alt text inside a link."""
    depth = int(in_link)
    for token in children:
        if token.type == "image":
            src = str(token.attrGet("src") or "")
            if depth == 0:
                yield Token("link_open", "a", 1, attrs={"href": src})
            yield from _without_images(token.children or [Token("text", "", 0, content=src)], in_link=True)
            if depth == 0:
                yield Token("link_close", "a", -1)
            continue
        depth += token.nesting if token.type in ("link_open", "link_close") else 0
        yield token


def _text(text: str, spans: list[tuple[str, str]], md: MarkdownIt, *, linkify: bool) -> Iterator[Token]:
    """A text token split into text, MathML and (outside links) bare http(s) addresses made links."""
    last = 0
    for match in _SLOT.finditer(text):
        yield from _plain(text[last : match.start()], md, linkify=linkify)
        yield Token("math", "", 0, content=spans[int(match.group(1))][1])
        last = match.end()
    yield from _plain(text[last:], md, linkify=linkify)


def _plain(text: str, md: MarkdownIt, *, linkify: bool) -> Iterator[Token]:
    last = 0
    for match in _URL.finditer(text) if linkify else ():
        if match.start() > last:
            yield Token("text", "", 0, content=text[last : match.start()])
        yield Token("link_open", "a", 1, attrs={"href": md.normalizeLink(match.group(0))})
        yield Token("text", "", 0, content=match.group(0))
        yield Token("link_close", "a", -1)
        last = match.end()
    if last < len(text):
        yield Token("text", "", 0, content=text[last:])
