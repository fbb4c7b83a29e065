"""LaTeX to inert MathML: latex2mathml builds the tree, its text is escaped here, and nh3 keeps only MathML.

latex2mathml's `convert` un-escapes its own serialisation, so `\\text{<meta ...>}` comes out as a live HTML tag,
and `\\href`, `\\style`, `\\class` come out as attributes. Here its element tree is serialised with the text escaped,
then an allowlist (nh3, html5ever's parser) drops every element and attribute that is not plain presentation MathML.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

import nh3

# Presentation MathML that draws formulas, and nothing that links, loads, styles or embeds HTML: no `maction`,
# `semantics`/`annotation-xml` (an HTML integration point), `mglyph` (loads an image) or `malignmark`.
MATHML_TAGS = frozenset(
    {
        "math",
        "mrow",
        "mi",
        "mn",
        "mo",
        "ms",
        "mtext",
        "mspace",
        "msup",
        "msub",
        "msubsup",
        "munder",
        "mover",
        "munderover",
        "mmultiscripts",
        "mprescripts",
        "none",
        "mfrac",
        "msqrt",
        "mroot",
        "mstyle",
        "merror",
        "mpadded",
        "mphantom",
        "menclose",
        "mtable",
        "mtr",
        "mtd",
    }
)
# Layout attributes only: no `href`, `style`, `class`, `id`, event handlers or `mathbackground` (boxes over the page).
MATHML_ATTRIBUTES = frozenset(
    {
        "display",
        "displaystyle",
        "scriptlevel",
        "mathvariant",
        "mathsize",
        "mathcolor",
        "notation",
        "stretchy",
        "fence",
        "form",
        "separator",
        "accent",
        "accentunder",
        "largeop",
        "movablelimits",
        "symmetric",
        "lspace",
        "rspace",
        "minsize",
        "maxsize",
        "linethickness",
        "width",
        "height",
        "depth",
        "voffset",
        "columnalign",
        "rowalign",
        "columnlines",
        "rowlines",
        "columnspacing",
        "rowspacing",
        "frame",
        "framespacing",
        "equalrows",
        "equalcolumns",
        "columnspan",
        "rowspan",
        "linebreak",
    }
)
# Lengths stay within what a formula needs, so `\kern{-1000em}` or `\rule{1000em}{1000em}` cannot lay a formula
# over the rest of the page or push it away (an attribute out of bounds is dropped: the default length applies).
_LENGTHS = frozenset(
    {"width", "height", "depth", "voffset", "lspace", "rspace", "minsize", "maxsize", "mathsize", "linethickness"}
)
_LENGTH = re.compile(r"(-?(?:\d+\.?\d*|\.\d+))\s*(em|ex|pt|px|mu|%)?")
_EM_PER_UNIT = {"em": 1.0, "ex": 0.5, "pt": 0.1, "px": 1 / 16, "mu": 1 / 18, "%": 0.01, None: 1.0}
_MIN_EM, _MAX_EM = -3.0, 20.0


def bounded_length(tag: str, attribute: str, value: str) -> str | None:
    """nh3's attribute filter: lengths outside [-3em, 20em] are dropped; named lengths ("thinmathspace") kept."""
    if attribute not in _LENGTHS or re.fullmatch(r"[a-z]+", value):
        return value
    found = _LENGTH.fullmatch(value.strip())
    if not found:
        return None
    em = float(found.group(1)) * _EM_PER_UNIT[found.group(2)]
    return value if _MIN_EM <= em <= _MAX_EM else None


_CLEANER = nh3.Cleaner(
    tags=set(MATHML_TAGS),
    attributes={"*": set(MATHML_ATTRIBUTES)},
    attribute_filter=bounded_length,
    clean_content_tags={"script", "style", "template", "noscript", "annotation-xml", "title", "textarea", "xmp"},
    url_schemes=set(),
    link_rel=None,
    strip_comments=True,
)


def sanitise(markup: str) -> str:
    """Only allowlisted MathML elements and attributes of `markup` survive; other tags go, their text stays."""
    return _CLEANER.clean(markup)


def latex_to_mathml(latex: str, *, display: str = "inline") -> str:
    """One LaTeX formula (without its `$`) as inert MathML, inline or `display="block"`; raises whatever
    latex2mathml raises on bad LaTeX."""
    from latex2mathml.converter import convert_to_element

    root = convert_to_element(latex, display=display)
    for element in root.iter():
        # latex2mathml writes characters as entity references into its text ("&#x003B1;") and copies the
        # LaTeX's own text as is: decode both into plain characters, which serialising escapes again.
        element.text = html.unescape(element.text) if element.text else element.text
        element.tail = html.unescape(element.tail) if element.tail else element.tail
    return sanitise(ET.tostring(root, encoding="unicode"))
