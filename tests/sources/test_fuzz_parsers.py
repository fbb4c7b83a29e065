"""Property-based fuzzing of every ingest format parser: random bytes and mutated real records.

Whatever a file holds, parsing it (and passing each record through the ingest gate) gives
ParsedItems and RecordErrors, never an exception, and a mutated record never costs the good
records around it. Each test has a fixed, small budget (FUZZ) so the suite stays quick.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperwire.errors import InvalidInput
from paperwire.papers.record import (
    ParsedItem,
    RecordError,
    check_item,
    parse_arxiv_id,
    safe_link,
    text_problem,
)
from paperwire.sources.dates import parse_datetime
from paperwire.sources.files import FORMATS, detect_format, iter_file
from paperwire.sources.hf import parse_hf_daily
from tests.conftest import FIXTURES

SOURCES = FIXTURES.parent / "sources" / "fixtures"
FUZZ = settings(
    max_examples=int(os.environ.get("PAPERWIRE_FUZZ_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

JSONL_SAMPLES = {
    "snapshot": (FIXTURES / "snapshot-first200.jsonl").read_bytes().splitlines()[:6],
    "jsonl": (FIXTURES / "papers-300.jsonl").read_bytes().splitlines()[:6],
}
HF_ARCHIVE = json.loads((FIXTURES / "hf-archive-2026-02-03.json").read_text(encoding="utf-8"))
HF_API = json.loads((SOURCES / "hf_api_daily.json").read_text(encoding="utf-8"))
TSV_SAMPLE = (FIXTURES / "geiger-cs.GL-sample.tsv").read_text(encoding="utf-8")
XML_SAMPLES = {
    "atom": (SOURCES / "arxiv_api_page1.xml").read_bytes(),
    "oai": (SOURCES / "oai_arxivraw_page1.xml").read_bytes(),
}
_ATOM = "{http://www.w3.org/2005/Atom}"
_OAI = "{http://www.openarchives.org/OAI/2.0/}"

# JSON values a hostile or broken source could send, in any field.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**60, max_value=2**80)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.sampled_from(
        [
            "",
            "v99999999999999999999",
            "9999-12-31T23:59:59-12:00",
            "1990-01-01",
            "javascript:alert(1)",
            "2501.00001v0",
            "\x00",
            "\ud800",
            "[/x]",
            "hep-th/9901001",
            "2026-02-03",
        ]
    ),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
xml_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufffe\uffff"), max_size=60
).map(lambda text: "".join(c for c in text if c in "\t\n\r" or ord(c) >= 0x20))


def parse(data: bytes, fmt: str) -> list[ParsedItem | RecordError]:
    """What ingest makes of `data` read as `fmt`: each parsed record has also passed the gate."""
    items = []
    for item in iter_file(io.BytesIO(data), "fuzz", fmt):
        assert isinstance(item, (ParsedItem, RecordError)), item
        if isinstance(item, ParsedItem):
            item = check_item(item)
        if isinstance(item, ParsedItem):
            _assert_storable(item)
        items.append(item)
    return items


def _assert_storable(item: ParsedItem) -> None:
    paper = item.paper
    for text in (paper.arxiv_id, paper.title, paper.abstract, *paper.authors, paper.comments or ""):
        assert text_problem(text) is None
    for link in (paper.pdf_url, paper.code_url, paper.project_url):
        assert link is None or safe_link(link) == link
    assert paper.version is None or 1 <= paper.version <= 1000


def parsed_ids(items: list[ParsedItem | RecordError]) -> set[str]:
    return {item.paper.arxiv_id for item in items if isinstance(item, ParsedItem)}


def mutate_bytes(data: bytes, draw: Any) -> bytes:
    """Flip, insert or delete a few bytes at random places."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, max(len(out) - 1, 0)))
        action = draw(st.sampled_from(["flip", "insert", "delete"]))
        if action == "flip" and out:
            out[where] ^= draw(st.integers(1, 255))
        elif action == "insert":
            out[where:where] = draw(st.binary(min_size=1, max_size=8))
        elif out:
            del out[where : where + draw(st.integers(1, 8))]
    return bytes(out)


# Random bytes, in every format.


@FUZZ
@given(data=st.binary(max_size=3000), fmt=st.sampled_from(FORMATS))
def test_random_bytes_never_raise(data: bytes, fmt: str) -> None:
    parse(data, fmt)


@FUZZ
@given(data=st.binary(max_size=3000), fmt=st.sampled_from(FORMATS))
def test_byte_mutations_of_real_files_never_raise(data: bytes, fmt: str) -> None:
    real = {
        "snapshot": b"\n".join(JSONL_SAMPLES["snapshot"]),
        "jsonl": b"\n".join(JSONL_SAMPLES["jsonl"]),
        "hf": json.dumps(HF_API).encode(),
        "tsv": TSV_SAMPLE.encode(),
        **XML_SAMPLES,
    }[fmt]
    where = len(data) % max(len(real), 1)
    parse(real[:where] + data + real[where + len(data) // 2 :], fmt)


@FUZZ
@given(data=st.data())
def test_detection_of_any_file_is_a_format_or_one_clear_error(data: st.DataObject) -> None:
    base = data.draw(
        st.sampled_from([b"", b"{", b"[", b"<", b"\x1f\x8b", b"\xfd7zXZ\x00", *JSONL_SAMPLES["jsonl"][:1]])
    )
    content = base + data.draw(st.binary(max_size=2000))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input"
        path.write_bytes(content)
        try:
            fmt = detect_format(path)
        except InvalidInput:
            return
        assert fmt in FORMATS
        from paperwire.sources.files import open_input

        with open_input(path) as (stream, _):
            for item in iter_file(stream, str(path), fmt):
                assert isinstance(item, (ParsedItem, RecordError))


# Mutated real records: the others are kept.


@FUZZ
@given(data=st.data(), kind=st.sampled_from(["snapshot", "jsonl"]))
def test_jsonl_mutated_record_costs_only_itself(data: st.DataObject, kind: str) -> None:
    lines = list(JSONL_SAMPLES[kind])
    victim = data.draw(st.integers(0, len(lines) - 1))
    if data.draw(st.booleans()):
        record = json.loads(lines[victim])
        key = data.draw(st.sampled_from([*record, "versions", "authors", "categories", "published", "code_url"]))
        record[key] = data.draw(json_values)
        lines[victim] = json.dumps(record).encode()
    else:
        lines[victim] = mutate_bytes(lines[victim], data.draw).replace(b"\n", b" ")
    items = parse(b"\n".join(lines) + b"\n", kind)
    good = {json.loads(line)["id"] for n, line in enumerate(JSONL_SAMPLES[kind]) if n != victim}
    assert good <= parsed_ids(items)
    assert len(items) == len(lines)


@FUZZ
@given(data=st.data())
def test_hf_mutated_item_costs_only_itself(data: st.DataObject) -> None:
    shape = data.draw(st.sampled_from(["archive", "api"]))
    if shape == "archive":
        items = json.loads(json.dumps(HF_ARCHIVE["papers"][:5]))
        victim = data.draw(st.integers(0, len(items) - 1))
        target = items[victim]
        good = {item["paper_id"] for n, item in enumerate(items) if n != victim}
        document: Any = {"date": HF_ARCHIVE["date"], "papers": items}
    else:
        items = json.loads(json.dumps(HF_API))
        victim = data.draw(st.integers(0, len(items) - 1))
        target = items[victim]["paper"] if data.draw(st.booleans()) else items[victim]
        good = {item["paper"]["id"] for n, item in enumerate(items) if n != victim}
        document = items
    key = data.draw(st.sampled_from([*target, "upvotes", "githubRepo", "authors"]))
    target[key] = data.draw(json_values)
    parsed = parse(json.dumps(document).encode(), "hf")
    assert good <= parsed_ids(parsed)
    assert len(parsed) == len(items)


@FUZZ
@given(document=json_values)
def test_hf_api_answer_of_any_shape_never_raises(document: object) -> None:
    for item in parse_hf_daily(document, "fuzz"):
        assert isinstance(item, (ParsedItem, RecordError))
        if isinstance(item, ParsedItem):
            check_item(item)


@FUZZ
@given(data=st.data())
def test_tsv_mutated_field_costs_only_its_row(data: st.DataObject) -> None:
    rows = list(csv.reader(io.StringIO(TSV_SAMPLE, newline=""), delimiter="\t"))
    header, body = rows[0], rows[1:]
    victim = data.draw(st.integers(0, len(body) - 1))
    column = data.draw(st.integers(0, len(header) - 1))
    body[victim][column] = data.draw(st.text(max_size=80) | st.sampled_from(["9999-12-31", "1990-01-01", "7" * 40]))
    out = io.StringIO(newline="")
    csv.writer(out, delimiter="\t", lineterminator="\n").writerows([header, *body])
    encoded = out.getvalue().encode("utf-8", errors="surrogatepass")
    parsed = parse(encoded, "tsv")
    expected = parse(TSV_SAMPLE.encode(), "tsv")
    good = {item.paper.arxiv_id for n, item in enumerate(expected) if n != victim and isinstance(item, ParsedItem)}
    assert good <= parsed_ids(parsed)


@FUZZ
@given(data=st.data(), fmt=st.sampled_from(["atom", "oai"]))
def test_xml_mutated_element_costs_only_its_record(data: st.DataObject, fmt: str) -> None:
    root = ET.fromstring(XML_SAMPLES[fmt])
    records = list(root.iter(_ATOM + "entry" if fmt == "atom" else _OAI + "record"))
    victim = data.draw(st.integers(0, len(records) - 1))
    id_path = _ATOM + "id" if fmt == "atom" else f"{_OAI}header/{_OAI}identifier"
    victim_id, _ = parse_arxiv_id(records[victim].findtext(id_path) or "")
    elements = list(records[victim].iter())
    element = data.draw(st.sampled_from(elements))
    if data.draw(st.booleans()):
        element.text = data.draw(xml_text | st.sampled_from(["v99999999999999999999", "9999-12-31T23:59:59-12:00"]))
    else:
        name = data.draw(st.sampled_from(["term", "href", "title", "version", "status"]))
        element.set(name, data.draw(xml_text | st.just("javascript:alert(1)")))
    good = parsed_ids(parse(XML_SAMPLES[fmt], fmt)) - {victim_id}
    parsed = parse(ET.tostring(root, encoding="utf-8"), fmt)
    assert good <= parsed_ids(parsed)


# The field parsers every format shares.


@FUZZ
@given(
    text=st.text(max_size=60)
    | st.from_regex(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2}|Z)?)?", fullmatch=True)
)
def test_dates_parse_or_raise_invalid_input(text: str) -> None:
    try:
        moment = parse_datetime(text, "date")
    except InvalidInput:
        return
    assert moment is None or moment.tzinfo is not None


@FUZZ
@given(text=st.text(max_size=60) | st.from_regex(r"(\d{4}\.\d{4,5}|[a-z\-]{1,40}/\d{7})(v\d{1,25})?", fullmatch=True))
def test_arxiv_ids_parse_or_raise_invalid_input(text: str) -> None:
    try:
        arxiv_id, version = parse_arxiv_id(text)
    except InvalidInput as exc:
        assert len(exc.message) < 200
        return
    assert arxiv_id.isascii() and len(arxiv_id) <= 64
    assert version is None or 1 <= version <= 1000
