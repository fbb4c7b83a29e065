"""The query language: free text, "phrases", -excluded words, author:"Name", cat:cs.CL, since:/until: dates."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from paperwire.errors import InvalidInput
from paperwire.papers.record import check_category
from paperwire.sources.dates import parse_day
from paperwire.store.keyword_rows import name_words

MODES = ("hybrid", "keyword", "semantic")
MAX_QUERY = 1000  # characters of a query, and of any one filter value
MAX_AUTHOR_WORDS = 8  # words of an author filter: the name is matched as word sets (keyword_tantivy.MAX_SET)
_FIELD = re.compile(r'^(author|cat|category|since|until):(?:"([^"]*)"|([^\s"]*))')
_TOKEN = re.compile(r'[^\s"]+')  # a word ends at a space or a quote: `a"b c"d` is a, "b c", d
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


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


def build_filters(
    categories: Iterable[str] = (),
    authors: Iterable[str] = (),
    since: str | None = None,
    until: str | None = None,
    *,
    prefix: str = "",
) -> Filters:
    """Filters from CLI options, form fields or API parameters; blank values are ignored.

    The one builder for every edge: InvalidInput names the field, as `prefix` + its name (e.g. "--since").
    """
    since, until = (since or "").strip(), (until or "").strip()
    return Filters(
        categories=tuple(check_category(c, f"{prefix}category") for c in categories if c.strip()),
        authors=tuple(a.strip() for a in authors if a.strip()),
        since=parse_day(since, f"{prefix}since") if since else None,
        until=parse_day(until, f"{prefix}until") if until else None,
    )


def check_mode(mode: str) -> str:
    """The search mode, one of MODES; else InvalidInput naming the field."""
    if mode not in MODES:
        raise InvalidInput(f"mode must be one of {', '.join(MODES)}, got {shown(mode)}", field="mode")
    return mode


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
        """This query narrowed by filters from options or form fields (their author names checked like author:)."""
        checked = replace(extra, authors=tuple(check_author(name) for name in extra.authors))
        return replace(self, filters=self.filters.merged(checked))


def shown(text: str, most: int = 40) -> str:
    """A user's value quoted for an error message, cut to `most` characters so no message echoes a long input."""
    return repr(text[:most]) + ("…" if len(text) > most else "")


def check_text(text: str, name: str = "query") -> str:
    """Text typed by a user made fit to search for: control characters (NUL, newlines) become spaces.

    InvalidInput naming the field when it is over MAX_QUERY characters or is not valid Unicode (lone
    surrogates: what Python makes of a terminal's bytes that are not UTF-8).
    """
    if len(text) > MAX_QUERY:
        raise InvalidInput(f"{name}: too long ({MAX_QUERY} characters at most)")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{name}: not valid text (it holds bytes that are not UTF-8)") from None
    return unicodedata.normalize("NFC", _CONTROL.sub(" ", text))


def check_author(name: str) -> str:
    """An author name to filter on, or InvalidInput when it is not text or has over MAX_AUTHOR_WORDS words."""
    name = " ".join(check_text(name, "author").split())
    if len(name_words(name)) > MAX_AUTHOR_WORDS:
        raise InvalidInput(f"author: {shown(name)} has more than {MAX_AUTHOR_WORDS} words; give fewer of them")
    return name


def parse_query(text: str) -> Query:
    """Parse the query language; raises InvalidInput with a helpful message when malformed.

    Quotes pair up wherever they stand: `a"b c"d` is the word a, the phrase "b c" and the word d.
    """
    text = check_text(text or "")
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
    while rest:  # each step consumes quotes in pairs, so a quote at the start always has a closing one
        fielded = _FIELD.match(rest)
        if fielded:
            key, quoted, bare = fielded.groups()
            value = (quoted if quoted is not None else bare).strip()
            if not value:
                raise InvalidInput(f"{key}: needs a value, e.g. {key}:{_EXAMPLES[key]}")
            if key in ("cat", "category"):
                categories.append(check_category(value, key))
            elif key == "author":
                authors.append(check_author(value))
            elif key == "since":
                since = parse_day(value, "since")
            else:
                until = parse_day(value, "until")
            rest = rest[fielded.end() :].lstrip()
            continue
        if rest.startswith('"'):
            end = rest.index('"', 1)
            phrase = " ".join(rest[1:end].split())
            if phrase:
                phrases.append(phrase)
                ordered.append(phrase)
            rest = rest[end + 1 :].lstrip()
            continue
        token = _TOKEN.match(rest).group(0)  # type: ignore[union-attr]  # rest starts with neither space nor quote
        after = rest[len(token) :]
        if token == "-" and after.startswith('"'):
            raise InvalidInput('only single words can be excluded: -video, not -"a phrase"')
        rest = after.lstrip()
        if token.startswith("-") and len(token) > 1:
            excluded.append(token[1:].lower())
        elif token != "-" and token.lstrip("+"):
            terms.append(token.lstrip("+"))
            ordered.append(terms[-1])
    if since and until and since > until:
        raise InvalidInput(f"since:{since} is after until:{until}")
    free_text = " ".join(ordered)
    filters = Filters(tuple(dict.fromkeys(categories)), tuple(dict.fromkeys(authors)), since, until)
    return Query(free_text, tuple(terms), tuple(phrases), tuple(dict.fromkeys(excluded)), filters)


_EXAMPLES = {
    "author": '"Ada Lovelace"',
    "cat": "cs.CL",
    "category": "cs.CL",
    "since": "2025-01-01",
    "until": "2025-12-31",
}


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
