"""Comment Markdown, attacks first: hostile comments (raw HTML, script links, images, attribute breaks, hostile LaTeX)
build nothing executable, checked on what html5lib (the WHATWG parser browsers use) builds from the output; then
Markdown and math render as meant, math untouched by emphasis. One attack also goes through the paper page."""

from __future__ import annotations

import html5lib
import pytest

from paperwire.feed import comments
from paperwire.web.comment_markdown import LINK_REL, MARKDOWN_TAGS, render_comment
from paperwire.web.mathml import MATHML_ATTRIBUTES, MATHML_TAGS
from tests.web.accounts_helpers import csrf_of, sign_in

PAPER = "2503.11731"
MATHML_NS = "http://www.w3.org/1998/Math/MathML"
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "srcset", "poster", "background", "ping", "xlink:href"}
ATTACKS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)" onclick="alert(1)">x</a>',
    "<svg onload=alert(1)><iframe src=//evil.example></iframe>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "<javascript:alert(1)>",
    "[ref][evil]\n\n[evil]: javascript:alert(1)",
    "![x](http://evil.example/track.png)",
    "![x](javascript:alert(1))",
    "[![x](http://evil.example/i.png)](http://evil.example/)",
    '[x](http://a.example/" onmouseover="alert(1))',
    '[x](http://a.example "t" onmouseover="alert(1)")',
    '[x](<http://a.example/"onmouseover="alert(1)>)',
    "*<b onmouseover=alert(1)>x</b>*",
    "`<script>alert(1)</script>`",
    r"$\href{javascript:alert(1)}{x}$",
    r"$\text{<img src=x onerror=alert(1)>}$",
    r"$\style{background:url(//evil.example/x)}{x}$",
    r"$x</math><img src=x onerror=alert(1)>$",
    r"$$\text{<script>alert(1)</script>}$$",
    r"$\text{</mtext></math><iframe src=//evil.example>}$",
    r"[$x$](javascript:alert(1))",
    r"[x]($javascript:alert(1)$)",
    r"![$\href{javascript:alert(1)}{x}$](http://evil.example/)",
    r"$\mathrm{<a href=javascript:alert(1)>x</a>}$",
    r"$\text{<mglyph><style><img src=x onerror=alert(1)>}$",
    "\ue0000\ue001 $x$",  # the placeholder characters themselves
]


def elements(html: str) -> list[tuple[str, str, dict[str, str]]]:
    """(tag, namespace, attributes) of every element a browser builds from the fragment."""
    found = []
    for element in html5lib.parseFragment(html, treebuilder="etree").iter():
        if not isinstance(element.tag, str) or element.tag == "DOCUMENT_FRAGMENT":
            continue
        ns, _, tag = element.tag[1:].partition("}")
        found.append((tag, ns, {str(k).rpartition("}")[2]: v for k, v in element.attrib.items()}))
    return found


def assert_inert(html: str) -> None:
    """Only allowlisted tags and attributes; links only to http(s) or mailto and with rel; no handler, no style."""
    for tag, ns, attrs in elements(html):
        where = f"<{tag} {attrs}> in {html!r}"
        assert not any(name.startswith("on") or name in {"style", "srcdoc", "class", "id"} for name in attrs), where
        if ns == MATHML_NS:
            assert tag in MATHML_TAGS and set(attrs) <= MATHML_ATTRIBUTES, where
            continue
        assert tag in MARKDOWN_TAGS, where
        for name, value in attrs.items():
            if name in URL_ATTRIBUTES:
                assert value.strip().lower().startswith(("http://", "https://", "mailto:")), where
        if tag == "a":
            assert attrs.get("rel") == LINK_REL and set(attrs) <= {"href", "title", "rel"}, where


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_hostile_comment_builds_nothing_executable(attack: str) -> None:
    html = render_comment(attack)
    assert_inert(html)
    assert "<script" not in html and "<img" not in html and "<iframe" not in html and "<svg" not in html


def test_raw_html_is_text_and_images_are_links() -> None:
    assert render_comment("<script>alert(1)</script>") == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
    image = elements(render_comment("![a chart](https://example.org/chart.png)"))
    assert image == [("p", "http://www.w3.org/1999/xhtml", {}), ("a", image[1][1], image[1][2])]
    assert image[1][2] == {"href": "https://example.org/chart.png", "rel": LINK_REL}
    assert "a chart</a>" in render_comment("![a chart](https://example.org/chart.png)")
    assert "[click](javascript:alert(1))" in render_comment("[click](javascript:alert(1))")  # left as text
    assert "<a" not in render_comment("[x](/relative/path) [y](ftp://example.org/f)")


def test_markdown_renders_with_safe_links() -> None:
    html = render_comment(
        "# Big\n\n*em* **strong** `a < b`\n\n- one\n- two\n\n3. three\n\n> quoted\n\n"
        "[docs](https://example.org/x?a=1&b=2) <mail@example.org> and https://example.org/bare.\n\n```\ncode *x*\n```"
    )
    assert "<h4>Big</h4>" in html and "<h1" not in html  # headings sit below the page's own
    assert "<em>em</em> <strong>strong</strong> <code>a &lt; b</code>" in html
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html and '<ol start="3">' in html
    assert "<blockquote>\n<p>quoted</p>\n</blockquote>" in html
    assert f'<a href="https://example.org/x?a=1&amp;b=2" rel="{LINK_REL}">docs</a>' in html
    assert f'<a href="mailto:mail@example.org" rel="{LINK_REL}">mail@example.org</a>' in html
    assert f'<a href="https://example.org/bare" rel="{LINK_REL}">https://example.org/bare</a>.' in html
    assert "<pre><code>code *x*\n</code></pre>" in html
    assert "one<br>\ntwo" in render_comment("one\ntwo")  # a newline is a line break, as comments were before


def test_math_renders_to_mathml_untouched_by_emphasis() -> None:
    html = render_comment(r"*see* $a*b*c$ and $x_1 + y_2$ then $$\frac{a}{b}$$")
    assert "<em>see</em>" in html and html.count("<em>") == 1  # the stars and underscores inside math stay math
    maths = [e for e in elements(html) if e[0] == "math"]
    assert [m[2].get("display") for m in maths] == ["inline", "inline", "block"]
    assert "<mi>a</mi><mo>*</mo><mi>b</mi><mo>*</mo><mi>c</mi>" in html
    assert "<msub><mi>x</mi><mn>1</mn></msub>" in html and "<mfrac>" in html


def test_dollars_that_are_not_math_stay_text() -> None:
    assert render_comment("costs $5 and $10") == "<p>costs $5 and $10</p>\n"
    assert render_comment(r"\$x\$") == "<p>$x$</p>\n"
    assert render_comment("`$a*b$`") == "<p><code>$a*b$</code></p>\n"  # code shows the source
    assert "$\\frac$" in render_comment(r"$\frac$")  # bad LaTeX stays text
    linked = render_comment('[x](https://a.example/$b$ "t $z$")')  # a link's target and title keep their dollars
    assert 'href="https://a.example/%24b%24" title="t $z$"' in linked


def test_a_hostile_comment_on_the_paper_page(client, smtp, site_store) -> None:
    sign_in(client, smtp, "eve@example.org", store=site_store)
    body = "\n\n".join(ATTACKS[:6] + ATTACKS[12:16] + ATTACKS[20:24]) + "\n\nreal $a*b*c$ and *emphasis*"
    csrf = csrf_of(client, "/settings")
    posted = client.post(f"/papers/{PAPER}/comments", data={"body": body, "csrf_token": csrf}, follow_redirects=False)
    assert posted.status_code == 303
    [comment] = comments.list_comments(site_store, PAPER, None)
    assert comment["body"] == body.strip()  # the store keeps the source; the page renders it
    page = client.get(f"/papers/{PAPER}").text
    section = page.split('<div class="comment-body">', 1)[1].split("</div>", 1)[0]
    assert_inert(section)
    assert "<mi>a</mi><mo>*</mo><mi>b</mi>" in section and "<em>emphasis</em>" in section
