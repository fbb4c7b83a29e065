"""The MathML sanitiser: real latex2mathml output keeps its formulas; text is escaped; anything else is dropped."""

from __future__ import annotations

import html5lib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperwire.web.mathml import MATHML_ATTRIBUTES, MATHML_TAGS, latex_to_mathml, sanitise
from paperwire.web.templating import render_math


def assert_only_mathml(markup: str) -> None:
    """Parsed as a browser would (html5lib), the markup holds allowlisted MathML elements and attributes only."""
    for element in html5lib.parseFragment(markup, container="p", treebuilder="etree").iter():
        if not isinstance(element.tag, str) or element.tag == "DOCUMENT_FRAGMENT":
            continue
        assert element.tag == "{http://www.w3.org/1998/Math/MathML}" + element.tag.rpartition("}")[2], element.tag
        assert element.tag.rpartition("}")[2] in MATHML_TAGS and set(element.attrib) <= MATHML_ATTRIBUTES


@pytest.mark.parametrize(
    ("latex", "expected"),
    [
        (r"x^2", "<msup><mi>x</mi><mn>2</mn></msup>"),
        (r"\frac{a}{b}", "<mfrac><mrow><mi>a</mi></mrow><mrow><mi>b</mi></mrow></mfrac>"),
        (r"\alpha_i", "<msub><mi>α</mi><mi>i</mi></msub>"),
        (r"\mathbb{R}", "<mi>ℝ</mi>"),
        (r"\sqrt[3]{x}", "<mroot><mrow><mi>x</mi></mrow><mn>3</mn></mroot>"),
        (r"\left(x\right)", '<mo stretchy="true" fence="true" form="prefix">(</mo>'),
        (r"\begin{matrix}a&b\\c&d\end{matrix}", "<mtable><mtr><mtd><mi>a</mi></mtd><mtd><mi>b</mi></mtd></mtr>"),
        (r"\displaystyle\sum_{i=1}^n", '<mstyle displaystyle="true" scriptlevel="0"><msubsup><mo>∑</mo>'),
        (r"\hat{x}", '<mover accent="true"><mrow><mi>x</mi></mrow><mo>^</mo></mover>'),
        (r"\mathcal{O}(n)", '<mi>𝒪</mi><mo stretchy="false">(</mo><mi>n</mi>'),
        (r"\color{red}{x}", '<mstyle mathcolor="red">'),
        (r"a < b", "<mi>a</mi><mo>&lt;</mo><mi>b</mi>"),
        (r"\text{for all } x", "<mtext>for&nbsp;all&nbsp;</mtext>"),
    ],
)
def test_real_formulas_survive(latex: str, expected: str) -> None:
    out = latex_to_mathml(latex)
    assert out.startswith('<math display="inline"><mrow>') and out.endswith("</mrow></math>")
    assert expected in out


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"\text{<meta http-equiv=refresh content=0;url=//evil>}", "&lt;meta&nbsp;http-equiv=refresh"),
        (r"\mbox{<form action=//evil>}", "<mtext>&lt;form&nbsp;action=//evil&gt;</mtext>"),
        (r"\fbox{<script>alert(1)</script>}", "<mtext>&lt;script&gt;alert(1)&lt;/script&gt;</mtext>"),
        (r"\textbf{</mtext></math><img src=x onerror=alert(1)>}", "&lt;/mtext&gt;&lt;/math&gt;&lt;img"),
        (r"\tag{<svg onload=alert(1)>}", "<mtext>(&lt;svg onload=alert(1)&gt;)</mtext>"),
        (r"\emph{<svg/onload=alert(1)>}", "&lt;svg/onload=alert(1)&gt;"),
        (r"\text{a<b}", "<mtext>a&lt;b</mtext>"),  # shown as written, not eaten as a tag
    ],
)
def test_text_in_math_is_escaped_text(latex: str, text: str) -> None:
    out = latex_to_mathml(latex)
    assert text in out
    assert_only_mathml(out)


@pytest.mark.parametrize(
    ("latex", "gone"),
    [
        (r"\href{javascript:alert(1)}{x}", "href"),
        (r"\style{color:red}{x}", "style"),
        (r"\class{flash}{x}", "class"),
        (r"\colorbox{red}{x}", "mathbackground"),
    ],
)
def test_attribute_commands_lose_their_attribute(latex: str, gone: str) -> None:
    out = latex_to_mathml(latex)
    assert gone not in out and ">x</m" in out


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        (
            '<math><mi onclick="x" id="a" class="b" style="c" href="javascript:x">x</mi></math>',
            "<math><mi>x</mi></math>",
        ),
        ("<math><mtext><form action=/x><input name=a></form></mtext></math>", "<math><mtext></mtext></math>"),
        ("<math><mtext><script>alert(1)</script>t</mtext></math>", "<math><mtext>t</mtext></math>"),
        (
            "<math><semantics><annotation-xml encoding='text/html'><img src=x onerror=y></annotation-xml></semantics>"
            "</math>",
            "<math></math>",
        ),
        ("<math><mglyph><style><img src=x onerror=y></style></mglyph></math>", "<math></math>"),
        ("<math><maction actiontype=statusline><mi>x</mi></maction></math>", "<math><mi>x</mi></math>"),
        ("<meta http-equiv=refresh content='0;url=//evil'><b>bold</b>", "bold"),
        ("<math><mi>x</mi><p>breaks out</p></math>", "<math><mi>x</mi></math>breaks out"),
        ("<mi>outside math</mi><svg><mi>in svg</mi></svg>", ""),  # MathML out of place: namespace confusion
    ],
)
def test_sanitise_keeps_only_mathml(markup: str, expected: str) -> None:
    assert sanitise(markup) == expected


def test_render_math_escapes_the_text_around_and_keeps_bad_latex_as_text() -> None:
    out = str(render_math(r"<b>a</b> $x^2$ and $\frac{1}{$ <i>"))
    assert out.startswith('&lt;b&gt;a&lt;/b&gt; <math display="inline">')
    assert out.endswith(r"and $\frac{1}{$ &lt;i&gt;")


HTMLISH = st.lists(
    st.sampled_from(
        [
            "<form",
            "<meta",
            "<svg",
            " onload=x",
            "/",
            ">",
            "</math>",
            "</mtext>",
            "&lt;",
            "a",
            " ",
            '"',
            "'",
            "=",
            "$",
            "{",
            "}",
            "\\",
        ]
    ),
    max_size=8,
).map("".join)
COMMANDS = st.sampled_from(
    [
        "\\text",
        "\\mbox",
        "\\fbox",
        "\\textbf",
        "\\emph",
        "\\tag",
        "\\href{javascript:x}",
        "\\style{color:red}",
        "\\class{x}",
        "\\operatorname",
        "\\frac{a}",
        "x^",
        "",
    ]
)
FORMULAS = st.lists(st.one_of(st.builds("{}{{{}}}".format, COMMANDS, HTMLISH), HTMLISH), max_size=4).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(FORMULAS.map("${}$".format), HTMLISH), max_size=4).map("".join))
def test_any_text_renders_to_inert_markup(text: str) -> None:
    """Whatever the text, the result holds allowlisted MathML and escaped text only; text without math reads as is."""
    out = str(render_math(text))
    assert_only_mathml(out)
    if "$" not in text:
        assert "".join(html5lib.parseFragment(out, treebuilder="etree").itertext()) == text


@pytest.mark.parametrize(
    ("latex", "kept"),
    [
        (r"\kern{-1000em}x", False),
        (r"\rule{1000em}{1000em}", False),
        (r"\hspace{25em}", False),
        (r"\mspace{1000mu}", False),
        (r"\qquad", True),
        (r"a\!b", True),
        (r"\kern{-2em}", True),
        (r"\Huge x", True),
    ],
)
def test_lengths_cannot_lay_a_formula_over_the_page(latex: str, kept: bool) -> None:
    out = latex_to_mathml(latex)
    assert any(f' {name}="' in out for name in ("width", "height", "mathsize")) == kept
