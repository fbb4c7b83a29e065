"""Thumbnails of listed papers' first PDF pages, as Hugging Face and arxiv-sanity-lite show them.

`make_thumbnails` fetches the PDF of each listed paper that has no thumbnail yet (through the polite client),
draws its first page with PDFium and keeps a small WebP image (store.thumbnails). It is idempotent and
resumable: papers with a thumbnail are skipped, and a PDF that cannot be fetched or drawn is recorded with
its reason, tried again only after `thumbnail_retry_hours` (doubled per failure), and stops no other paper.
The CLI (`paperwire thumbnails`) and the worker's `thumbnails` job call it.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from paperwire.config import Settings
from paperwire.errors import InvalidInput, MalformedDocument, NotFound, SourceUnavailable
from paperwire.papers.fetch import Services
from paperwire.papers.record import parse_arxiv_id
from paperwire.sources.arxiv_pdf import fetch_pdf
from paperwire.store import thumbnails as files
from paperwire.store.thumbnails import Failure

# Every thumbnail has the same size: the page drawn 320 px wide, its top cut (or padded) to a US Letter
# page's proportions, so lists line up. Pages show it at half size (sharp on high-density screens).
WIDTH, HEIGHT = 320, 414
MEDIA_TYPE = "image/webp"
WEBP_QUALITY = 80
MAX_RETRY_DOUBLINGS = 10
FAILURES_IN_A_ROW = 5  # then arXiv (or the network) is taken to be down: the run stops, the rest waits for the next
_PDFIUM = threading.Lock()  # PDFium is not thread-safe: one document at a time per process

OnProgress = Callable[[int, int], None] | None  # (done, total)
OnFailure = Callable[[Failure], None] | None


@dataclass(frozen=True)
class Thumbnail:
    """A paper's thumbnail as a page shows it: its address on this site and its display size in CSS pixels."""

    url: str
    width: int = WIDTH // 2
    height: int = HEIGHT // 2


def thumbnail_url(arxiv_id: str) -> str:
    """The site-relative address of a paper's thumbnail (served by web.thumbnails)."""
    return f"/thumbnails/{arxiv_id}{files.SUFFIX}"


def thumbnails_of(settings: Settings, ids: Iterable[str]) -> dict[str, Thumbnail]:
    """The thumbnails of those papers among `ids` that have one."""
    return {arxiv_id: Thumbnail(thumbnail_url(arxiv_id)) for arxiv_id in files.existing(settings, ids)}


def served_thumbnail(settings: Settings, name: str) -> bytes:
    """The image behind /thumbnails/{name}: NotFound unless `name` is `{arXiv id}.webp` of a paper that has one.

    Only a bare arXiv id (no version, prefix or URL) is accepted, so no name reaches outside the folder.
    """
    missing = NotFound("no such thumbnail")
    raw = name.removesuffix(files.SUFFIX)
    if raw == name:
        raise missing
    try:
        arxiv_id, _ = parse_arxiv_id(raw)
    except InvalidInput:
        raise missing from None
    image = files.read(settings, arxiv_id) if arxiv_id == raw else None
    if image is None:
        raise missing
    return image


def render_first_page(pdf: bytes) -> bytes:
    """The first page of a PDF as a WIDTH x HEIGHT WebP image; MalformedDocument when it cannot be drawn."""
    import pypdfium2 as pdfium
    from PIL import Image

    try:
        with _PDFIUM:
            document = pdfium.PdfDocument(pdf)
            try:
                if len(document) == 0:
                    raise MalformedDocument("the PDF has no pages")
                page = document[0]
                width, height = page.get_size()
                if width <= 0 or height <= 0:
                    raise MalformedDocument(f"the first page measures {width:g} x {height:g} points")
                # Fit the width; a freakishly tall page is drawn smaller rather than as a huge bitmap.
                scale = min(WIDTH / width, 4 * HEIGHT / height)
                image = page.render(scale=scale).to_pil().convert("RGB")
                page.close()
            finally:
                document.close()
    except MalformedDocument:
        raise
    except Exception as exc:  # PDFium or Pillow refusing an untrusted file: that paper fails, not the run
        raise MalformedDocument(f"cannot draw the first page: {type(exc).__name__}: {exc}") from exc
    if image.width > WIDTH:
        image = image.resize((WIDTH, max(1, round(image.height * WIDTH / image.width))))
    canvas = Image.new("RGB", (WIDTH, HEIGHT), "white")
    canvas.paste(image.crop((0, 0, image.width, min(image.height, HEIGHT))), (0, 0))
    out = io.BytesIO()
    canvas.save(out, "WEBP", quality=WEBP_QUALITY)
    return out.getvalue()


@dataclass
class ThumbnailReport:
    """What a run did: thumbnails made, failures (id and reason), listed papers that already had one, papers
    waiting after an earlier failure, papers left for the next run (by the limit, or because the run stopped
    after FAILURES_IN_A_ROW failures in a row: `stopped` says so)."""

    made: int = 0
    failed: list[Failure] = field(default_factory=list)
    existing: int = 0
    waiting: int = 0
    left: int = 0
    stopped: str | None = None

    def summary(self) -> str:
        text = f"{self.made} thumbnails made, {len(self.failed)} failed, {self.existing} already there"
        if self.waiting:
            text += f", {self.waiting} to retry later"
        if self.left:
            text += f", {self.left} left for the next run"
        if self.stopped:
            text += f"; stopped: {self.stopped}"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "made": self.made,
            "failed": [{"id": f.arxiv_id, "reason": f.reason, "attempts": f.attempts} for f in self.failed],
            "existing": self.existing,
            "waiting": self.waiting,
            "left": self.left,
            "stopped": self.stopped,
        }


def retry_at(settings: Settings, failure: Failure) -> datetime:
    """When a failed paper is tried again: thumbnail_retry_hours after its last failure, doubled per failure."""
    doublings = min(failure.attempts - 1, MAX_RETRY_DOUBLINGS)
    return failure.at + timedelta(hours=settings.thumbnail_retry_hours * 2**doublings)


def make_thumbnails(
    app: Services,
    *,
    limit: int | None = None,
    retry_failed: bool = False,
    now: datetime | None = None,
    on_progress: OnProgress = None,
    on_failure: OnFailure = None,
    check: Callable[[], None] | None = None,
) -> ThumbnailReport:
    """Make the missing thumbnails of listed papers, newest list first, at most `limit` PDFs.

    `retry_failed` tries failed papers now instead of waiting; `check` is called before each PDF (the job
    stops there when it lost its lease). After FAILURES_IN_A_ROW failures in a row the run stops, so that an
    outage does not mark every paper failed.
    """
    settings, store = app.settings, app.store
    now = now or datetime.now(UTC)
    with store.read() as conn:
        listed = files.listed_ids(conn)
        failed_before = files.failures(conn)
    have = files.existing(settings, listed)
    report = ThumbnailReport(existing=len(have))
    todo = []
    for arxiv_id in listed:
        if arxiv_id in have:
            continue
        failure = failed_before.get(arxiv_id)
        if failure is not None and not retry_failed and now < retry_at(settings, failure):
            report.waiting += 1
            continue
        todo.append(arxiv_id)
    if limit is not None and len(todo) > limit:
        todo, report.left = todo[:limit], len(todo) - limit
    if on_progress:
        on_progress(0, len(todo))
    if not todo:
        return report
    in_a_row = 0
    with app.http_client() as client:
        for done, arxiv_id in enumerate(todo, start=1):
            if check:
                check()
            try:
                image = render_first_page(fetch_pdf(client, settings, arxiv_id))
            except (SourceUnavailable, MalformedDocument) as exc:
                with store.write() as conn:
                    failure = files.record_failure(conn, arxiv_id, exc.message, now)
                report.failed.append(failure)
                in_a_row += 1
                if on_failure:
                    on_failure(failure)
            else:
                in_a_row = 0
                files.write(settings, arxiv_id, image)
                report.made += 1
                if arxiv_id in failed_before:
                    with store.write() as conn:
                        files.clear_failure(conn, arxiv_id)
            if on_progress:
                on_progress(done, len(todo))
            if in_a_row >= FAILURES_IN_A_ROW and done < len(todo):
                report.stopped = f"{in_a_row} failures in a row, the last: {report.failed[-1].reason}"
                report.left += len(todo) - done
                break
    return report
