"""Harvest arXiv's OAI-PMH endpoint (arXivRaw records) incrementally, following resumption tokens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import httpx

from paperwire.config import Settings
from paperwire.errors import InvalidInput, SourceUnavailable
from paperwire.papers.record import ParsedItem, RecordError
from paperwire.sources.http import PoliteClient
from paperwire.sources.oai import OaiPage, parse_oai

METADATA_PREFIX = "arXivRaw"
# arXiv set specs: "cs", "math", "physics:hep-th", "physics:cond-mat".
_SET_SPEC = re.compile(r"^[a-z][a-z\-]*(?::[a-z][a-z\-]*)*(?::[A-Z]{2})?$")


class Harvest:
    """One ListRecords run: iterate it for records; afterwards read `last_datestamp` and `pages`.

    `last_datestamp` is the largest datestamp seen (YYYY-MM-DD), to store as the next run's `from`.
    """

    def __init__(
        self,
        client: PoliteClient,
        settings: Settings,
        set_spec: str,
        from_date: date | None,
        until: date | None = None,
    ) -> None:
        if not _SET_SPEC.match(set_spec or ""):
            raise InvalidInput(f"not an OAI set of arXiv: {set_spec!r} (expected e.g. cs or physics:hep-th)")
        if from_date and until and until < from_date:
            raise InvalidInput(f"until ({until}) is before from ({from_date})")
        self.client = client
        self.settings = settings
        self.set_spec = set_spec
        self.from_date = from_date
        self.until = until
        self.last_datestamp: str | None = None
        self.pages = 0
        self.complete_list_size: int | None = None
        self._started = False

    def __iter__(self) -> Iterator[ParsedItem | RecordError]:
        if self._started:
            raise RuntimeError("a Harvest can be iterated only once")
        self._started = True
        return self._records()

    def _records(self) -> Iterator[ParsedItem | RecordError]:
        params: dict[str, str] = {"verb": "ListRecords", "metadataPrefix": METADATA_PREFIX, "set": self.set_spec}
        if self.from_date:
            params["from"] = self.from_date.isoformat()
        if self.until:
            params["until"] = self.until.isoformat()
        seen_tokens: set[str] = set()
        while True:
            page = self._fetch(params)
            self.pages += 1
            if page.complete_list_size is not None and self.complete_list_size is None:
                self.complete_list_size = page.complete_list_size
            if page.error_code == "noRecordsMatch":
                return
            if page.last_datestamp and (self.last_datestamp is None or page.last_datestamp > self.last_datestamp):
                self.last_datestamp = page.last_datestamp
            yield from page.items
            token = page.resumption_token
            if not token:
                return
            if token in seen_tokens:
                raise SourceUnavailable(f"OAI-PMH at {self.settings.oai_url} repeated resumptionToken {token!r}")
            seen_tokens.add(token)
            params = {"verb": "ListRecords", "resumptionToken": token}

    def _fetch(self, params: dict[str, str]) -> OaiPage:
        """One request, parsed; a malformed page is fetched once more before giving up."""
        name = f"OAI-PMH {self.set_spec} page {self.pages + 1}"

        def parse(response: httpx.Response) -> OaiPage:
            return parse_oai(response.content, name)

        return self.client.get_parsed(self.settings.oai_url, params, parse)


def harvest(
    client: PoliteClient,
    settings: Settings,
    set_spec: str,
    from_date: date | None,
    until: date | None = None,
) -> Harvest:
    """Start an incremental harvest of one set since `from_date`; iterate the result for records."""
    return Harvest(client, settings, set_spec, from_date, until)
