"""Fetch one day's Hugging Face daily papers list from the live API."""

from __future__ import annotations

from datetime import date

import httpx

from paperwire.config import Settings
from paperwire.errors import MalformedDocument
from paperwire.papers.record import ParsedItem, RecordError
from paperwire.sources.hf import decode_document, parse_hf_daily
from paperwire.sources.http import PoliteClient

# The API pages at 50 items by default and allows up to 100; a day rarely lists more than 100 papers.
DAILY_LIMIT = 100


def fetch_daily(client: PoliteClient, settings: Settings, day: date) -> list[ParsedItem | RecordError]:
    """Return the papers on Hugging Face's daily list for `day`, each with its listing (upvotes, submitter)."""
    name = f"huggingface daily_papers {day.isoformat()}"

    def decode(response: httpx.Response) -> list[object]:
        obj = decode_document(response.content, name)
        if not isinstance(obj, list):
            raise MalformedDocument(f"{name}: expected a JSON list of papers, got {type(obj).__name__}")
        return obj

    params: dict[str, str | int] = {"date": day.isoformat(), "limit": DAILY_LIMIT}
    items = client.get_parsed(settings.hf_api_url, params, decode)
    return list(parse_hf_daily(items, name))
