"""Real documents made by real libraries, for the extraction tests and the labelled collection."""
from __future__ import annotations

import io
from pathlib import Path

import docx
from fpdf import FPDF

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT = FONT_DIR / "DejaVuSans.ttf"  # Debian package fonts-dejavu-core: Latin and Arabic glyphs


def pdf_bytes(paragraphs: list[str], *, password: str | None = None, font: Path = FONT,
              size: int = 11, pages: int = 1, shaped: bool = False) -> bytes:
    """A PDF with a real text layer (fpdf2, Unicode TrueType font); ``shaped``: glyphs laid out
    by HarfBuzz, as right-to-left scripts are in real documents."""
    pdf = FPDF()
    pdf.add_font("body", "", str(font))
    pdf.set_font("body", size=size)
    if shaped:
        pdf.set_text_shaping(True)
    if password:
        pdf.set_encryption(owner_password="owner-" + password, user_password=password)
    for _ in range(pages):
        pdf.add_page()
        for paragraph in paragraphs:
            pdf.multi_cell(0, size * 0.6, paragraph)
            pdf.ln(2)
    return bytes(pdf.output())


def image_pdf_bytes(image_png: bytes, pages: int = 1) -> bytes:
    """A 'scan': pages holding only a picture (stored once), no text layer."""
    pdf = FPDF()
    for _ in range(pages):
        pdf.add_page()
        pdf.image(io.BytesIO(image_png), x=10, y=10, w=180)
    return bytes(pdf.output())


def png_bytes(text: str = "scan") -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (600, 300), "white")
    ImageDraw.Draw(image).text((20, 20), text, fill="black")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def docx_bytes(paragraphs: list[str], *, table: list[list[str]] | None = None,
               header: str | None = None, footer: str | None = None) -> bytes:
    document = docx.Document()
    if header:
        document.sections[0].header.paragraphs[0].text = header
    if footer:
        document.sections[0].footer.paragraphs[0].text = footer
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
