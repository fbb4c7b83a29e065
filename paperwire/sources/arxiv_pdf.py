"""A paper's PDF from arXiv (`{arxiv_pdf_url}/{id}`), through the polite client: fetch only."""

from __future__ import annotations

from paperwire.config import Settings
from paperwire.errors import MalformedDocument
from paperwire.sources.http import PoliteClient

PDF_MAGIC = b"%PDF-"
MAGIC_WINDOW = 1024  # PDF readers accept the header anywhere in the first kilobyte


def pdf_url(settings: Settings, arxiv_id: str) -> str:
    """The address of a paper's latest PDF."""
    return f"{settings.arxiv_pdf_url.rstrip('/')}/{arxiv_id}"


def fetch_pdf(client: PoliteClient, settings: Settings, arxiv_id: str) -> bytes:
    """The bytes of a paper's PDF; SourceUnavailable when it cannot be had, MalformedDocument when it is no PDF
    (arXiv answers some requests with an HTML page, e.g. while a PDF is being made)."""
    response = client.get(pdf_url(settings, arxiv_id))
    body = response.content
    if PDF_MAGIC not in body[:MAGIC_WINDOW]:
        kind = response.headers.get("Content-Type", "no Content-Type").split(";")[0].strip()
        raise MalformedDocument(f"not a PDF ({kind}, {len(body)} bytes)")
    return body
