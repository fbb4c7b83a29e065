"""The query language: free text, "phrases", -excluded words, author:"Name", cat:cs.CL, since:/until: dates."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

from paperwire.errors import InvalidInput
from paperwire.papers.record import is_arxiv_category

MODES = ("hybrid", "keyword", "semantic")
_FIELD = re.compile(r'^(author|cat|category|since|until):(?:"([^"]*)"|(\S*))')


@dataclass(frozen=True)
class Filters:
    """Restrictions applied inside the search (never by trimming a top-k afterwards)."""

    categories: tuple[str, ...] = ()  # any of these
    authors: tuple[str, ...] = ()  # all of these (name match, accents and case ignored)
    since: date | None = None  # first published on or after
    until: date | None = None  # first published on or before

    def __bool__(self) -> bool:
        return bool(self.categories or self.authors or self.since or self.until)

    def merged(self, other: Filters) -> Filters:
        """These filters narrowed by `other` (e.g. query-language filters plus CLI/API options)."""
        return Filters(
            categories=tuple(dict.fromkeys(self.categories + other.categories)),
            authors=tuple(dict.fromkeys(self.authors + other.authors)),
            since=max(d for d in (self.since, other.since) if d) if (self.since or other.since) else None,
            until=min(d for d in (self.until, other.until) if d) if (self.until or other.until) else None,
        )


@dataclass(frozen=True)
class Query:
    """A parsed query: what to match (terms, phrases), what to exclude, and the filters."""

    text: str = ""  # the free text (terms and phrases) for the embedder
    terms: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    filters: Filters = field(default_factory=Filters)

    @property
    def has_text(self) -> bool:
        return bool(self.terms or self.phrases)

    def with_filters(self, extra: Filters) -> Query:
        return replace(self, filters=self.filters.merged(extra))


def parse_date_option(text: str, name: str) -> date:
    """A YYYY-MM-DD date, or InvalidInput that names the option."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name}: expected a date as YYYY-MM-DD, got {text!r}") from None


def check_category(text: str) -> str:
    if not is_arxiv_category(text):
        raise InvalidInput(f"cat: {text!r} is not an arXiv category (e.g. cs.CL, hep-th, math.AG)")
    return text


def parse_query(text: str) -> Query:
    """Parse the query language; raises InvalidInput with a helpful message when malformed."""
    if text is None:
        text = ""
    if len(text) > 1000:
        raise InvalidInput("query too long (1000 characters at most)")
    if text.count('"') % 2:
        raise InvalidInput('unbalanced quote: close the "phrase" with a second "')
    terms: list[str] = []
    phrases: list[str] = []
    ordered: list[str] = []
    excluded: list[str] = []
    categories: list[str] = []
    authors: list[str] = []
    since = until = None
    rest = text.strip()
    while rest:
        fielded = _FIELD.match(rest)
        if fielded:
            key, quoted, bare = fielded.groups()
            value = (quoted if quoted is not None else bare).strip()
            if not value:
                raise InvalidInput(f'{key}: needs a value, e.g. {key}:{_EXAMPLES[key]}')
            if key in ("cat", "category"):
                categories.append(check_category(value))
            elif key == "author":
                authors.append(value)
            elif key == "since":
                since = parse_date_option(value, "since")
            else:
                until = parse_date_option(value, "until")
            rest = rest[fielded.end():].lstrip()
            continue
        if rest.startswith('"'):
            end = rest.index('"', 1)
            phrase = " ".join(rest[1:end].split())
            if phrase:
                phrases.append(phrase)
                ordered.append(phrase)
            rest = rest[end + 1:].lstrip()
            continue
        token, _, rest = rest.partition(" ")
        rest = rest.lstrip()
        if token.startswith("-") and len(token) > 1:
            excluded.append(token[1:].lower())
        elif token not in ("-", "+"):
            terms.append(token.lstrip("+"))
            ordered.append(terms[-1])
    if since and until and since > until:
        raise InvalidInput(f"since:{since} is after until:{until}")
    free_text = " ".join(ordered)
    filters = Filters(tuple(dict.fromkeys(categories)), tuple(dict.fromkeys(authors)), since, until)
    return Query(free_text, tuple(terms), tuple(phrases), tuple(dict.fromkeys(excluded)), filters)


_EXAMPLES = {"author": '"Ada Lovelace"', "cat": "cs.CL", "category": "cs.CL", "since": "2025-01-01", "until": "2025-12-31"}


def plain_query(text: str) -> str:
    """Text made safe to pass as free text only: no quotes, exclusions or field filters (e.g. for BEIR queries)."""
    words = []
    for token in text.replace('"', " ").split():
        token = token.lstrip("-+")
        token = _FIELD_PREFIX.sub(r"\1 ", token)
        if token:
            words.append(token)
    return " ".join(words)


_FIELD_PREFIX = re.compile(r"^(author|cat|category|since|until):")
