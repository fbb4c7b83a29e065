"""Tests for paperwire/sources/arxiv_atom.py against hand-written arXiv API responses."""

from __future__ import annotations

import io
import tracemalloc
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from paperwire.errors import MalformedDocument
from paperwire.papers.record import PaperRecord, ParsedItem, RecordError, VersionInfo
from paperwire.sources.arxiv_atom import iter_atom, parse_atom

FIXTURES = Path(__file__).parent / "fixtures"
UTC = UTC


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def papers(items: list[ParsedItem | RecordError]) -> list[PaperRecord]:
    assert all(isinstance(item, ParsedItem) for item in items), items
    return [item.paper for item in items if isinstance(item, ParsedItem)]


PAGE1 = [
    PaperRecord(
        arxiv_id="2503.11731",
        title="Sparse Mixture-of-Experts Adapters for Low-Resource Machine Translation",
        abstract=(
            "We study parameter-efficient adaptation of large multilingual language models to "
            "low-resource translation directions. Sparse adapter experts are routed per token, "
            "which keeps inference cost flat while adding capacity. On 24 FLORES-200 directions "
            "our method improves chrF++ by 2.1 points over LoRA with the same number of "
            "trainable parameters."
        ),
        authors=("Jiří Novák", "Zoë Lefèvre", "Wei Zhang"),
        categories=("cs.CL", "cs.AI", "cs.LG"),
        version=2,
        published=date(2025, 3, 14),
        updated=date(2025, 3, 19),
        comments="v2: added results on 8 more directions; 14 pages, 5 figures",
        pdf_url="http://arxiv.org/pdf/2503.11731v2",
        versions=(
            VersionInfo(1, datetime(2025, 3, 14, 17, 59, 58, tzinfo=UTC)),
            VersionInfo(2, datetime(2025, 3, 19, 16, 2, 11, tzinfo=UTC)),
        ),
    ),
    PaperRecord(
        arxiv_id="2503.14502",
        title=("Retrieval & Reasoning: When Does Chain-of-Thought Help Open-Domain Question Answering?"),
        abstract=(
            "We measure when chain-of-thought prompting helps retrieval-augmented question "
            "answering. With $k$ retrieved passages the cost of the reasoning step grows as "
            "$x^2$ in the passage length $x$, yet accuracy saturates after $k=5$. We release a "
            "benchmark of 3,200 questions."
        ),
        authors=("Mariana Costa", "Tobias Schneider"),
        categories=("cs.CL", "cs.IR"),
        version=1,
        published=date(2025, 3, 18),
        updated=date(2025, 3, 18),
        comments="9 pages, 3 figures",
        pdf_url="http://arxiv.org/pdf/2503.14502v1",
        versions=(VersionInfo(1, datetime(2025, 3, 18, 17, 41, 9, tzinfo=UTC)),),
    ),
    PaperRecord(
        arxiv_id="2503.13288",
        title="A Corpus of Code-Switched Spanish-English Social Media Posts",
        abstract=(
            "We present a corpus of 41,000 code-switched posts annotated for language identity "
            "at the token level.\n\nBaselines based on multilingual encoders reach 93.4% token "
            "accuracy."
        ),
        authors=("Ana María Pérez", "Łukasz Kowalski", "Hiroshi Tanaka"),
        categories=("cs.CL",),
        version=1,
        published=date(2025, 3, 17),
        updated=date(2025, 3, 17),
        doi="10.18653/v1/2025.naacl-long.112",
        journal_ref="Proceedings of NAACL 2025, pages 1520-1534",
        comments="Accepted at NAACL 2025",
        pdf_url="http://arxiv.org/pdf/2503.13288v1",
        versions=(VersionInfo(1, datetime(2025, 3, 17, 9, 15, 33, tzinfo=UTC)),),
    ),
]

PAGE2 = [
    PaperRecord(
        arxiv_id="2502.09876",
        title="Calibrated Uncertainty for Sequence Labelling with Conformal Prediction",
        abstract=(
            "Conformal prediction gives distribution-free coverage guarantees. We extend it to "
            "structured outputs such as named-entity spans and show that set sizes stay small "
            "on CoNLL-2003 and WNUT-17."
        ),
        authors=("Mehdi Rahimi", "Sara Lindqvist"),
        categories=("cs.LG", "cs.CL", "stat.ML"),
        version=3,
        published=date(2025, 2, 13),
        updated=date(2025, 3, 16),
        comments="v3: camera-ready version",
        pdf_url="http://arxiv.org/pdf/2502.09876v3",
        versions=(
            VersionInfo(1, datetime(2025, 2, 13, 18, 30, 0, tzinfo=UTC)),
            VersionInfo(3, datetime(2025, 3, 16, 12, 0, 5, tzinfo=UTC)),
        ),
    ),
    PaperRecord(
        arxiv_id="2503.12044",
        title="Tokenizer Drift in Continually Pretrained Language Models",
        abstract=(
            "We show that continually pretrained models under-use newly added vocabulary items "
            "and propose a simple embedding re-initialisation."
        ),
        authors=("Priya Raghunathan",),
        categories=("cs.CL",),
        version=1,
        published=date(2025, 3, 15),
        updated=date(2025, 3, 15),
        comments="Short paper, 4 pages",
        pdf_url="http://arxiv.org/pdf/2503.12044v1",
        versions=(VersionInfo(1, datetime(2025, 3, 15, 20, 47, 52, tzinfo=UTC)),),
    ),
]


def test_page1_maps_every_field() -> None:
    page = parse_atom(load("arxiv_api_page1.xml"), "arxiv_api_page1.xml")
    assert (page.total_results, page.start_index, page.items_per_page) == (5, 0, 3)
    assert papers(page.items) == PAGE1
    assert [(item.file, item.line) for item in page.items] == [
        ("arxiv_api_page1.xml", 10),
        ("arxiv_api_page1.xml", 40),
        ("arxiv_api_page1.xml", 64),
    ]


def test_page2_completes_the_query() -> None:
    page = parse_atom(load("arxiv_api_page2.xml"), "arxiv_api_page2.xml")
    assert (page.total_results, page.start_index, page.items_per_page) == (5, 3, 3)
    assert papers(page.items) == PAGE2
    assert [item.line for item in page.items] == [10, 33]


def test_pages_are_sorted_by_last_update_descending() -> None:
    both = PAGE1 + PAGE2
    assert [p.updated for p in both] == sorted((p.updated for p in both), reverse=True)
    assert len({p.arxiv_id for p in both}) == 5


def test_error_feed_raises_with_the_summary() -> None:
    with pytest.raises(MalformedDocument) as caught:
        parse_atom(load("arxiv_api_error.xml"), "arxiv_api_error.xml")
    assert caught.value.message == "incorrect id format for 2503.1173"
    assert caught.value.line == 10
    with pytest.raises(MalformedDocument, match="incorrect id format"):
        list(iter_atom(io.BytesIO(load("arxiv_api_error.xml")), "arxiv_api_error.xml"))


def test_bad_entries_are_reported_and_good_ones_kept() -> None:
    page = parse_atom(load("arxiv_api_bad_entry.xml"), "bad.xml")
    assert (page.total_results, page.start_index, page.items_per_page) == (3, 0, 10)
    good, no_title, bad_date = page.items
    assert isinstance(good, ParsedItem)
    assert good.line == 10
    assert good.paper == replace(PAGE2[1], comments=None)
    assert no_title == RecordError(file="bad.xml", line=26, reason="entry 2503.15555 has no title")
    assert bad_date == RecordError(
        file="bad.xml",
        line=36,
        reason="entry 2503.16666: <published>: impossible or unreadable date '2025-02-30T10:00:00Z'",
    )


def test_entry_without_id_is_an_error() -> None:
    data = (
        b'<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
        b"<entry>\n<title>No id here</title>\n</entry>\n</feed>\n"
    )
    page = parse_atom(data, "x.xml")
    assert page.items == [RecordError(file="x.xml", line=3, reason="entry has no <id>")]
    assert page.total_results is None


def test_truncated_document_raises_with_line() -> None:
    with pytest.raises(MalformedDocument) as caught:
        parse_atom(load("truncated.xml"), "truncated.xml")
    assert caught.value.line == 45
    assert "truncated.xml" in caught.value.message
    with pytest.raises(MalformedDocument) as streamed:
        list(iter_atom(io.BytesIO(load("truncated.xml")), "truncated.xml"))
    assert streamed.value.line == 45


def test_empty_document_raises() -> None:
    with pytest.raises(MalformedDocument) as caught:
        parse_atom(b"", "empty.xml")
    assert caught.value.line == 1


@pytest.mark.parametrize(
    "name",
    ["arxiv_api_page1.xml", "arxiv_api_page2.xml", "arxiv_api_bad_entry.xml"],
)
def test_iter_gives_the_same_items_as_parse(name: str) -> None:
    with open(FIXTURES / name, "rb") as stream:
        streamed = list(iter_atom(stream, name))
    assert streamed == parse_atom(load(name), name).items


def _big_feed(entries: int) -> bytes:
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
    entry = (
        "<entry>\n<id>http://arxiv.org/abs/2503.{n:05d}v1</id>\n"
        "<published>2025-03-14T17:59:58Z</published>\n<updated>2025-03-14T17:59:58Z</updated>\n"
        "<title>Paper {n}</title>\n<summary>" + "word " * 100 + "</summary>\n"
        "<author><name>Author {n}</name></author>\n</entry>\n"
    )
    body = "".join(entry.format(n=n) for n in range(entries)).encode()
    return head + body + b"</feed>\n"


@pytest.mark.slow  # a large generated feed: about 7 s
def test_iter_streams_in_constant_memory() -> None:
    data = _big_feed(10_000)
    assert len(data) > 5_000_000
    tracemalloc.start()
    try:
        last = None
        for last in iter_atom(io.BytesIO(data), "big.xml"):
            assert isinstance(last, ParsedItem)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert last is not None and last.paper.arxiv_id == "2503.09999"
    assert last.line == 2 + 9_999 * 8 + 1
    assert peak < 1_500_000


def test_malformed_mid_stream_raises_after_good_items() -> None:
    data = _big_feed(2_000)
    cut = data[: len(data) // 2]
    seen: list[ParsedItem | RecordError] = []
    with pytest.raises(MalformedDocument) as caught:
        for item in iter_atom(io.BytesIO(cut), "cut.xml"):
            seen.append(item)
    assert len(seen) > 100
    assert caught.value.line == cut.count(b"\n") + 1
