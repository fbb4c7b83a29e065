"""Marking matched query words: escaped first, stems matched loosely, math spans never cut."""

from __future__ import annotations

from markupsafe import Markup

from paperwire.search.highlight import highlight, math_spans, snippet, stem
from paperwire.search.query import parse_query


def test_marks_terms_case_insensitively_and_returns_markup() -> None:
    out = highlight("Graph Neural Networks for graphs", parse_query("graph"))
    assert isinstance(out, Markup)
    assert out == "<mark>Graph</mark> Neural Networks for <mark>graphs</mark>"


def test_escapes_before_marking_so_text_cannot_inject_markup() -> None:
    out = highlight('<script>alert("x")</script> & attention <b>', parse_query("attention script"))
    assert "<script>" not in out and "<b>" not in out
    assert out == (
        "&lt;<mark>script</mark>&gt;alert(&#34;x&#34;)&lt;/<mark>script</mark>&gt; &amp; "
        "<mark>attention</mark> &lt;b&gt;"
    )


def test_query_words_that_look_like_entities_do_not_break_escaping() -> None:
    out = highlight("Q&A <tags>", parse_query("amp lt gt"))
    assert out == "Q&amp;A &lt;tags&gt;"


def test_loose_stems_match_other_endings_of_long_words() -> None:
    query = parse_query("learning transformers")
    out = highlight("We learn; learned learners train a Transformer by transformation.", query)
    assert out.count("<mark>") == 5
    assert "<mark>learn</mark>" in out and "<mark>Transformer</mark>" in out and "<mark>transformation</mark>" in out
    assert stem("studies") == "stud" and stem("models") == "model" and stem("uses") == "uses"


def test_short_words_match_whole_words_only() -> None:
    out = highlight("A GAN gang: GANs and LLM, LLMs", parse_query("GAN llm"))
    assert out == "A <mark>GAN</mark> gang: GANs and <mark>LLM</mark>, LLMs"


def test_phrase_words_are_marked_and_excluded_and_filter_words_are_not() -> None:
    query = parse_query('"video generation" -survey author:"Ada Lovelace" cat:cs.CV')
    out = highlight("A survey of video generation by Ada Lovelace in cs.CV", query)
    assert out == "A survey of <mark>video</mark> <mark>generation</mark> by Ada Lovelace in cs.CV"


def test_no_text_query_marks_nothing_but_still_escapes() -> None:
    assert highlight("a < b", parse_query("cat:cs.CL")) == "a &lt; b"
    assert highlight("", parse_query("x")) == ""


def test_snippet_centres_on_the_first_match_and_cuts_at_spaces() -> None:
    text = " ".join(["filler"] * 100) + " the needle is here " + " ".join(["padding"] * 100)
    cut = snippet(text, parse_query("needle"), width=120)
    assert "needle" in cut and cut.startswith("…") and cut.endswith("…")
    assert len(cut) <= 122
    assert all(word in ("filler", "the", "needle", "is", "here", "padding") for word in cut.strip("…").split())


def test_snippet_short_text_is_whole_and_whitespace_is_collapsed() -> None:
    assert snippet("short\n  abstract", parse_query("x")) == "short abstract"
    long = "start " + "word " * 100
    assert snippet(long, parse_query("absent"), width=50).startswith("start word")


def test_snippet_never_cuts_a_math_span() -> None:
    text = "intro " * 30 + "we bound $\\sum_{i=1}^{n} x_i \\le C$ tightly for the needle " + "tail " * 60
    cut = snippet(text, parse_query("needle"), width=80)
    assert cut.startswith("…$\\sum_{i=1}^{n} x_i \\le C$ tightly")  # the window began inside the formula


def test_math_spans_split_text_and_formulas() -> None:
    assert list(math_spans("a $x^2$ b")) == [(False, "a "), (True, "x^2"), (False, " b")]
    assert list(math_spans("no math")) == [(False, "no math")]
    assert list(math_spans("")) == []


def test_free_stop_words_are_not_marked_but_words_of_a_phrase_are() -> None:
    """The keyword index ignores stop words, so marking "for" in every title would show a match that is not one."""
    out = highlight("A Model for Efficient Video Diffusion", parse_query("diffusion models for video"))
    assert "<mark>for</mark>" not in out and "<mark>Video</mark>" in out and "<mark>Model</mark>" in out
    quoted = highlight("A Model for Efficient Video", parse_query('"model for efficient"'))
    assert "<mark>for</mark>" in quoted
