"""Reading library files: each format's ids, DOIs and titles; malformed parts reported by line while the
well-formed entries around them are still read; format detection; title folding."""

from __future__ import annotations

import json

import pytest

from paperwire.errors import InvalidInput
from paperwire.papers.library_formats import arxiv_ids_in, detect_format, normalise_title, split_doi
from paperwire.papers.library_readers import read_file

BIBTEX = r"""
% exported by a reference manager
@article{vaswani2017,
  title = {Attention Is All You Need},
  author = {Vaswani, Ashish and others},
  eprint = {1706.03762v7},
  archivePrefix = {arXiv},
}
@inproceedings{devlin2019,
  Title = {{BERT}: Pre-training of Deep Bidirectional Transformers},
  DOI = {10.18653/v1/N19-1423},
}
@misc{old,
  title = {An old string paper},
  howpublished = {\url{https://arxiv.org/abs/hep-th/9901001}},
}
@article{scholar,
  title={Caf\'e {\"U}ber Models},
  journal={arXiv preprint arXiv:2001.00001},
}
@misc{zenodo, title = {Data}, eprint = {12345}, eprinttype = {pubmed}}
@misc{viadoi, title = {Via DOI}, doi = {10.48550/arXiv.2502.09876}}
@article{mendeley, title = {Mendeley}, arxivId = {1810.04805}, archivePrefix = {arXiv}}
"""


def test_bibtex_ids_from_eprint_doi_url_and_scholar_journal() -> None:
    parsed = read_file(BIBTEX.encode(), filename="refs.bib")
    assert parsed.format == "bibtex" and parsed.problems == []
    got = {e.label.split("}")[0]: (e.title, e.arxiv_ids, e.dois) for e in parsed.entries}
    assert got == {
        "@article{vaswani2017": ("Attention Is All You Need", ("1706.03762",), ()),
        "@inproceedings{devlin2019": (
            "BERT: Pre-training of Deep Bidirectional Transformers",
            (),
            ("10.18653/v1/N19-1423",),
        ),
        "@misc{old": ("An old string paper", ("hep-th/9901001",), ()),
        "@article{scholar": ("Café Über Models", ("2001.00001",), ()),
        "@misc{zenodo": ("Data", (), ()),  # an eprint of another archive is not an arXiv id
        "@misc{viadoi": ("Via DOI", ("2502.09876",), ()),
        "@article{mendeley": ("Mendeley", ("1810.04805",), ()),  # Mendeley's own field
    }


def test_bibtex_broken_block_reported_by_line_and_the_rest_read() -> None:
    text = (
        "@article{good1, title={First}, eprint={2503.11731}}\n"
        "@article{broken, title = {Never closed, author={x}\n"
        "@article{good2, title={Second}, eprint={2503.14502}}\n"
        "@article{good1, title={Same key again}, eprint={2503.13288}}\n"
    )
    parsed = read_file(text.encode(), filename="x.bib")
    assert [e.arxiv_ids for e in parsed.entries] == [("2503.11731",), ("2503.14502",), ("2503.13288",)]
    [problem] = parsed.problems
    assert problem.label.startswith("line 2: @article{broken")
    assert problem.reason.startswith("not valid BibTeX: ") and "Unexpected block start" in problem.reason


RIS = """TY  - JOUR
TI  - Attention Is All You Need
UR  - https://arxiv.org/abs/1706.03762
ER  -

TY  - CONF
T1  - BERT: Pre-training of Deep Bidirectional Transformers
DO  - 10.18653/v1/N19-1423
N1  - arXiv: 1810.04805
ER  -
"""


def test_ris_ids_from_url_note_and_doi() -> None:
    parsed = read_file(RIS.encode(), filename="export.ris")
    assert parsed.format == "ris" and parsed.problems == []
    assert [(e.title, e.arxiv_ids, e.dois) for e in parsed.entries] == [
        ("Attention Is All You Need", ("1706.03762",), ()),
        ("BERT: Pre-training of Deep Bidirectional Transformers", ("1810.04805",), ("10.18653/v1/N19-1423",)),
    ]
    assert parsed.entries[0].label == "line 1: Attention Is All You Need"


def test_ris_stray_text_and_unterminated_records_are_reported_not_dropped() -> None:
    text = (
        RIS
        + "this line is no RIS\nTY  - JOUR\nTI  - Cut short\nTY  - JOUR\nTI  - Last one\nUR  - arxiv.org/abs/2503.11731\nER  - \n"
    )
    parsed = read_file(text.encode())  # no extension: told by its content
    assert parsed.format == "ris"
    assert [e.title for e in parsed.entries] == [
        "Attention Is All You Need",
        "BERT: Pre-training of Deep Bidirectional Transformers",
        "Last one",
    ]
    assert [(p.label, p.reason) for p in parsed.problems] == [
        ("line 11: this line is no RIS", "text outside a RIS record"),
        ("line 12: Cut short", "RIS record without its end tag (ER  - )"),
    ]


CSL = [
    {
        "id": "http://zotero.org/users/1/items/ABCD2345",
        "type": "article",
        "title": "Attention Is All You Need",
        "URL": "http://arxiv.org/abs/1706.03762",
        "number": "arXiv:1706.03762",
        "DOI": "10.48550/arXiv.1706.03762",
        "publisher": "arXiv",
    },
    {"id": "devlin", "type": "paper-conference", "title": "BERT", "DOI": "10.18653/v1/N19-1423"},
    {"id": "t", "type": "article-journal", "title": "Only a title here"},
]


def test_csl_json_ids_dois_titles() -> None:
    parsed = read_file(json.dumps(CSL).encode(), filename="My Library.json")
    assert parsed.format == "csl-json" and parsed.problems == []
    assert [(e.title, e.arxiv_ids, e.dois) for e in parsed.entries] == [
        ("Attention Is All You Need", ("1706.03762",), ()),
        ("BERT", (), ("10.18653/v1/N19-1423",)),
        ("Only a title here", (), ()),
    ]
    assert parsed.entries[1].label == "item 2 (devlin): BERT"


def test_csl_json_broken_in_the_middle_keeps_the_items_before() -> None:
    text = json.dumps(CSL[:2], indent=1)[:-2] + ',\n 42,\n {"title": "cut", "DOI": '
    parsed = read_file(text.encode(), filename="broken.json")
    assert [e.title for e in parsed.entries] == ["Attention Is All You Need", "BERT"]
    assert [p.label for p in parsed.problems] == ["item 3", "item 4 and after (line 18, column 26)"]
    assert parsed.problems[0].reason == "not a CSL item: int"
    assert parsed.problems[1].reason.startswith("not valid JSON: Expecting value")


def test_csl_json_that_is_not_an_array_is_a_clear_error() -> None:
    with pytest.raises(InvalidInput, match="expected an array of items"):
        read_file(b'"just a string"', filename="x.json")


def test_id_list_with_urls_old_ids_dois_comments_and_bad_lines() -> None:
    text = (
        "# my reading list\n"
        "2503.11731\n"
        "arXiv:2503.14502v2\n"
        "https://arxiv.org/pdf/2503.13288v1.pdf\n"
        "hep-th/9901001\n"
        "\n"
        "https://doi.org/10.18653/v1/N19-1423\n"
        "not an id at all\n"
    )
    parsed = read_file(text.encode())
    assert parsed.format == "ids"
    assert [(e.arxiv_ids, e.dois) for e in parsed.entries] == [
        (("2503.11731",), ()),
        (("2503.14502",), ()),
        (("2503.13288",), ()),
        (("hep-th/9901001",), ()),
        ((), ("10.18653/v1/N19-1423",)),
    ]
    assert [(p.label, p.reason) for p in parsed.problems] == [
        ("line 8: not an id at all", "not an arXiv id, arxiv.org URL or DOI")
    ]


def test_empty_unknown_and_entryless_files_are_clear_errors() -> None:
    with pytest.raises(InvalidInput, match="empty"):
        read_file(b"  \n", filename="x.bib")
    with pytest.raises(InvalidInput, match="unknown format 'endnote'"):
        read_file(b"x", format="endnote")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="no entries found in this file"):
        read_file(b"% only a comment\n", filename="x.bib")
    with pytest.raises(InvalidInput, match=r"no entry could be read \(as ids\): line 1: nonsense: not an arXiv id"):
        read_file(b"nonsense\nmore nonsense\n")


def test_latin1_bibtex_is_read() -> None:
    parsed = read_file(
        "@misc{a, title={Théorie des cordes}, eprint={hep-th/9901001}}".encode("cp1252"), filename="a.bib"
    )
    assert parsed.entries[0].title == "Théorie des cordes"


def test_detect_format_by_content() -> None:
    assert detect_format("[{}]") == "csl-json"
    assert detect_format("\n@Article{x,\n}") == "bibtex"
    assert detect_format("TY  - JOUR\nER  - ") == "ris"
    assert detect_format("2503.11731\n") == "ids"
    assert detect_format("2503.11731\n", "list.bib") == "bibtex"


def test_normalise_title_and_id_finders() -> None:
    assert normalise_title("{BERT}: Pre-training of  Deep\n Bidirectional Transformers.") == normalise_title(
        "BERT - pre-training of deep bidirectional transformers"
    )
    assert normalise_title(r"Learning \emph{Über} $\alpha$-Models") == normalise_title("Learning Über α Models")
    assert normalise_title("O(n^2) time & space") == "o n 2 time space"
    assert arxiv_ids_in("see arXiv:1706.03762v5 and https://arxiv.org/abs/math.GT/0309136") == [
        "1706.03762",
        "math.GT/0309136",
    ]
    assert arxiv_ids_in("1706.03762 alone, arXiv:99") == []
    assert split_doi("10.48550/ARXIV.1706.03762") == (["1706.03762"], [])
    assert split_doi("https://doi.org/10.1000/xyz.") == ([], ["10.1000/xyz"])
