"""LaTeX to inert MathML: latex2mathml builds the tree, its text is escaped here, and nh3 keeps only MathML.

latex2mathml's `convert` un-escapes its own serialisation, so `\\text{<meta ...>}` comes out as a live HTML tag,
and `\\href`, `\\style`, `\\class` come out as attributes. Here its element tree is serialised with the text escaped,
then an allowlist (nh3, html5ever's parser) drops every element and attribute that is not plain presentation MathML.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET

import nh3

# Presentation MathML that draws formulas, and nothing that links, loads, styles or embeds HTML: no `maction`,
# `semantics`/`annotation-xml` (an HTML integration point), `mglyph` (loads an image) or `malignmark`.
MATHML_TAGS = frozenset({
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msup", "msub", "msubsup", "munder", "mover",
    "munderover", "mmultiscripts", "mprescripts", "none", "mfrac", "msqrt", "mroot", "mstyle", "merror",
    "mpadded", "mphantom", "menclose", "mtable", "mtr", "mtd",
})  # fmt: skip
# Layout attributes only: no `href`, `style`, `class`, `id`, event handlers or `mathbackground` (boxes over the page).
MATHML_ATTRIBUTES = frozenset({
    "display", "displaystyle", "scriptlevel", "mathvariant", "mathsize", "mathcolor", "notation", "stretchy",
    "fence", "form", "separator", "accent", "accentunder", "largeop", "movablelimits", "symmetric", "lspace",
    "rspace", "minsize", "maxsize", "linethickness", "width", "height", "depth", "voffset", "columnalign",
    "rowalign", "columnlines", "rowlines", "columnspacing", "rowspacing", "frame", "framespacing", "equalrows",
    "equalcolumns", "columnspan", "rowspan", "linebreak",
})  # fmt: skip
_CLEANER = nh3.Cleaner(
    tags=set(MATHML_TAGS),
    attributes={"*": set(MATHML_ATTRIBUTES)},
    clean_content_tags={"script", "style", "template", "noscript", "annotation-xml", "title", "textarea", "xmp"},
    url_schemes=set(),
    link_rel=None,
    strip_comments=True,
)


def sanitise(markup: str) -> str:
    """Only allowlisted MathML elements and attributes of `markup` survive; other tags go, their text stays."""
    return _CLEANER.clean(markup)


def latex_to_mathml(latex: str) -> str:
    """One LaTeX formula (without its `$`) as inert MathML; raises whatever latex2mathml raises on bad LaTeX."""
    from latex2mathml.converter import convert_to_element

    root = convert_to_element(latex)
    for element in root.iter():
        # latex2mathml writes characters as entity references into its text ("&#x003B1;") and copies the
        # LaTeX's own text as is: decode both into plain characters, which serialising escapes again.
        element.text = html.unescape(element.text) if element.text else element.text
        element.tail = html.unescape(element.tail) if element.tail else element.tail
    return sanitise(ET.tostring(root, encoding="unicode"))
