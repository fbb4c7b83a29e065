"""Tests for paperwire/sources/oai.py against hand-written arXiv OAI-PMH responses."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from paperwire.errors import MalformedDocument, SourceUnavailable
from paperwire.papers.record import PaperRecord, ParsedItem, RecordError, VersionInfo, split_authors
from paperwire.sources.oai import iter_oai, parse_oai

FIXTURES = Path(__file__).parent / "fixtures"
UTC = UTC


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def papers(items: list[ParsedItem | RecordError]) -> list[PaperRecord]:
    assert all(isinstance(item, ParsedItem) for item in items), items
    return [item.paper for item in items if isinstance(item, ParsedItem)]


def oai(body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">\n'
        "<responseDate>2025-03-21T06:12:45Z</responseDate>\n"
        '<request verb="ListRecords">http://export.arxiv.org/oai2</request>\n'
        f"{body}\n</OAI-PMH>\n"
    ).encode()


RAW_PAGE1 = [
    PaperRecord(
        arxiv_id="2503.13288",
        title="A Corpus of Code-Switched Spanish-English Social Media Posts",
        abstract=(
            "We present a corpus of 41,000 code-switched posts annotated for language identity "
            "at the token level.\n\nBaselines based on multilingual encoders reach 93.4% token "
            "accuracy."
        ),
        authors=("Ana Mar\\'ia P\\'erez", "{\\L}ukasz Kowalski", "Hiroshi Tanaka"),
        categories=("cs.CL",),
        version=1,
        published=date(2025, 3, 17),
        updated=date(2025, 3, 17),
        doi="10.18653/v1/2025.naacl-long.112",
        journal_ref="Proceedings of NAACL 2025, pages 1520-1534",
        comments="Accepted at NAACL 2025",
        license="http://creativecommons.org/licenses/by/4.0/",
        submitter="Ana Mar\\'ia P\\'erez",
        versions=(VersionInfo(1, datetime(2025, 3, 17, 9, 15, 33, tzinfo=UTC)),),
    ),
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
        authors=("Ji\\v{r}\\'i Nov\\'ak", 'Zo\\"e Lef\\`evre', "Wei Zhang"),
        categories=("cs.CL", "cs.AI", "cs.LG"),
        version=2,
        published=date(2025, 3, 14),
        updated=date(2025, 3, 19),
        comments="v2: added results on 8 more directions; 14 pages, 5 figures",
        license="http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
        submitter="Ji\\v{r}\\'i Nov\\'ak",
        versions=(
            VersionInfo(1, datetime(2025, 3, 14, 17, 59, 58, tzinfo=UTC)),
            VersionInfo(2, datetime(2025, 3, 19, 16, 2, 11, tzinfo=UTC)),
        ),
    ),
]

RAW_PAGE2 = [
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
        license="http://creativecommons.org/licenses/by-sa/4.0/",
        submitter="Mehdi Rahimi",
        versions=(
            VersionInfo(1, datetime(2025, 2, 13, 18, 30, 0, tzinfo=UTC)),
            VersionInfo(2, datetime(2025, 3, 3, 11, 2, 47, tzinfo=UTC)),
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
        submitter="Priya Raghunathan",
        versions=(VersionInfo(1, datetime(2025, 3, 15, 20, 47, 52, tzinfo=UTC)),),
    ),
]

ARXIV_FORMAT = [
    PaperRecord(
        arxiv_id="2503.09915",
        title="Holographic Entanglement Entropy in Charged Black Hole Backgrounds",
        abstract=(
            "We compute the holographic entanglement entropy of strip regions in charged black "
            "hole backgrounds and find a universal correction of order $\\mu^2/T^2$ at small "
            "chemical potential."
        ),
        authors=("Chinedu A. Okafor Jr.", 'Hanna Br\\"uckner'),
        categories=("hep-th", "gr-qc"),
        published=date(2025, 3, 12),
        updated=date(2025, 3, 18),
        doi="10.1103/PhysRevD.111.066012",
        journal_ref="Phys. Rev. D 111, 066012 (2025)",
        comments="28 pages, 6 figures; v2: references added",
        license="http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
    ),
    PaperRecord(
        arxiv_id="hep-th/9901001",
        title="Duality and Confinement in Abelian Projected Theories",
        abstract="We discuss duality in abelian projected gauge theories.",
        authors=("Paolo Marchetti",),
        categories=("hep-th",),
        published=date(1999, 1, 4),
        comments="LaTeX, 12 pages",
    ),
]


def test_arxivraw_page1_skips_the_deleted_record() -> None:
    page = parse_oai(load("oai_arxivraw_page1.xml"), "p1.xml")
    assert papers(page.items) == RAW_PAGE1
    assert [(item.file, item.line) for item in page.items] == [("p1.xml", 6), ("p1.xml", 28)]
    assert page.resumption_token == "7291034|4"
    assert page.complete_list_size == 5
    assert page.error_code is None
    assert page.last_datestamp == "2025-03-20"


def test_arxivraw_page2_is_the_last_page() -> None:
    page = parse_oai(load("oai_arxivraw_page2.xml"), "p2.xml")
    assert papers(page.items) == RAW_PAGE2
    assert [item.line for item in page.items] == [6, 22]
    assert page.resumption_token is None
    assert page.complete_list_size == 5
    assert page.error_code is None
    assert page.last_datestamp == "2025-03-18"


def test_arxivraw_versions_are_utc_aware() -> None:
    page = parse_oai(load("oai_arxivraw_page2.xml"), "p2.xml")
    created = [v.created for v in papers(page.items)[0].versions]
    assert all(c is not None and c.utcoffset().total_seconds() == 0 for c in created)


def test_arxiv_format_records() -> None:
    page = parse_oai(load("oai_arxiv_format.xml"), "fmt.xml")
    assert papers(page.items) == ARXIV_FORMAT
    assert [item.line for item in page.items] == [6, 22]
    assert page.resumption_token is None
    assert page.complete_list_size is None
    assert page.last_datestamp == "2025-03-19"


def test_no_records_match_is_an_empty_page() -> None:
    page = parse_oai(load("oai_no_records.xml"), "none.xml")
    assert page.items == []
    assert page.error_code == "noRecordsMatch"
    assert page.resumption_token is None
    assert page.last_datestamp is None
    assert list(iter_oai(io.BytesIO(load("oai_no_records.xml")), "none.xml")) == []


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("badResumptionToken", "The value of the resumptionToken argument is invalid or expired."),
        ("badArgument", "Illegal argument: from"),
        ("cannotDisseminateFormat", "arXivFoo is not supported"),
    ],
)
def test_other_oai_errors_raise(code: str, text: str) -> None:
    data = oai(f'<error code="{code}">{text}</error>')
    with pytest.raises(SourceUnavailable) as caught:
        parse_oai(data, "err.xml")
    assert caught.value.message == f"OAI-PMH error {code}: {text}"
    with pytest.raises(SourceUnavailable):
        list(iter_oai(io.BytesIO(data), "err.xml"))


def test_bad_records_are_reported_and_good_ones_kept() -> None:
    raw = '<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/">'
    data = oai(
        "<ListRecords>\n"
        "<record><header><identifier>oai:arXiv.org:2503.20001</identifier>"
        "<datestamp>2025-03-20</datestamp></header>\n"
        f'<metadata>{raw}<id>2503.20001</id><version version="v1"><date>Not a date</date>'
        "</version><title>Bad date</title></arXivRaw></metadata></record>\n"
        "<record><header><identifier>oai:arXiv.org:2503.20002</identifier>"
        "<datestamp>2025-03-20</datestamp></header>\n"
        f"<metadata>{raw}<id>2503.20002</id><title>  </title></arXivRaw></metadata></record>\n"
        "<record><header><identifier>oai:arXiv.org:2503.20003</identifier>"
        "<datestamp>2025-03-21</datestamp></header></record>\n"
        "<record><header><identifier>oai:arXiv.org:2503.20004</identifier>"
        "<datestamp>2025-03-20</datestamp></header>\n"
        f"<metadata>{raw}<id>2503.20004</id><title>Fine</title>"
        "<authors>Solo Author</authors></arXivRaw></metadata></record>\n"
        "</ListRecords>"
    )
    page = parse_oai(data, "mixed.xml")
    assert page.items[:3] == [
        RecordError(
            "mixed.xml", 6, "record oai:arXiv.org:2503.20001: date of v1: impossible or unreadable date 'Not a date'"
        ),
        RecordError("mixed.xml", 8, "record oai:arXiv.org:2503.20002: no title"),
        RecordError("mixed.xml", 10, "record oai:arXiv.org:2503.20003 has no metadata"),
    ]
    fine = page.items[3]
    assert isinstance(fine, ParsedItem) and fine.line == 11
    assert fine.paper == PaperRecord(arxiv_id="2503.20004", title="Fine", authors=("Solo Author",))
    assert page.last_datestamp == "2025-03-21"


def test_truncated_document_raises_with_line() -> None:
    with pytest.raises(MalformedDocument) as caught:
        parse_oai(load("truncated.xml"), "truncated.xml")
    assert caught.value.line == 45
    cut = load("oai_arxivraw_page2.xml")[:1500]
    with pytest.raises(MalformedDocument) as streamed:
        list(iter_oai(io.BytesIO(cut), "cut.xml"))
    assert streamed.value.line == cut.count(b"\n") + 1


@pytest.mark.parametrize(
    "name",
    ["oai_arxivraw_page1.xml", "oai_arxivraw_page2.xml", "oai_arxiv_format.xml"],
)
def test_iter_gives_the_same_items_as_parse(name: str) -> None:
    with open(FIXTURES / name, "rb") as stream:
        streamed = list(iter_oai(stream, name))
    assert streamed == parse_oai(load(name), name).items


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A. Smith", ("A. Smith",)),
        ("A. Smith and B. Jones", ("A. Smith", "B. Jones")),
        ("A. Smith, B. Jones and C. Lee", ("A. Smith", "B. Jones", "C. Lee")),
        ("A. Smith, B. Jones, and C. Lee", ("A. Smith", "B. Jones", "C. Lee")),
        (
            "C. Bal\\'azs, E. L.\n  Berger, C.-P. Yuan",
            ("C. Bal\\'azs", "E. L. Berger", "C.-P. Yuan"),
        ),
        ("Alexander Sand (MIT, Cambridge), Andrea Brand", ("Alexander Sand", "Andrea Brand")),
        ("J. Doe (1), R. Roe (2) ((1) CERN, (2) DESY)", ("J. Doe", "R. Roe")),
        ("The ATLAS Collaboration", ("The ATLAS Collaboration",)),
        ("{\\O}ystein Ore, G. {de la} Cruz", ("{\\O}ystein Ore", "G. {de la} Cruz")),
        ("", ()),
    ],
)
def test_split_authors(text: str, expected: tuple[str, ...]) -> None:
    assert split_authors(text) == expected
