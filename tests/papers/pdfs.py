"""Small real PDFs written by hand for the thumbnail tests: a page with text and a blue box, and broken ones."""

from __future__ import annotations

BLUE_BOX = (72, 72, 200, 100)  # x, y (from the bottom left, in points), width, height


def one_page_pdf(text: str = "A paper", width: int = 612, height: int = 792) -> bytes:
    """A valid one-page PDF (US Letter by default): `text` near the top in Helvetica, a blue box near the bottom."""
    x, y, w, h = BLUE_BOX
    content = f"BT /F1 24 Tf 72 {height - 100} Td ({text}) Tj ET 0 0 1 rg {x} {y} {w} {h} re f".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>" % (width, height),
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def broken_pdf() -> bytes:
    """Starts like a PDF, is none: PDFium cannot open it."""
    return b"%PDF-1.4\n" + b"\x00garbage, no objects, no xref\n" * 20
