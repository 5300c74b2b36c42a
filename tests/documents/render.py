"""Blocks -> real files, each made by the library applicants' software would use."""
from __future__ import annotations

import io
import random

import docx
import openpyxl
from fpdf import FPDF
from odf.opendocument import OpenDocumentText
from odf.table import Table, TableCell, TableColumn, TableRow
from odf.text import H, P
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

FONTS = "/usr/share/fonts/truetype/dejavu/"  # Debian fonts-dejavu-core (Latin + Arabic glyphs)
TTF = {"sans": "DejaVuSans", "serif": "DejaVuSerif", "condensed": "DejaVuSansCondensed"}
_LATIN1 = str.maketrans({"’": "'", "–": "-", "—": "-", "œ": "oe", "…": "...", "•": "-"})


def pdf(blocks, rng: random.Random, *, arabic: bool = False, password: str | None = None) -> bytes:
    doc = FPDF()
    face = "sans" if arabic else rng.choice(["sans", "serif", "condensed", "helvetica", "times"])
    if face in TTF:
        doc.add_font("body", "", FONTS + TTF[face] + ".ttf")
        doc.add_font("body", "B", FONTS + TTF[face] + "-Bold.ttf")
        family, clean = "body", (lambda s: s)
    else:
        family, clean = face, (lambda s: s.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1"))
    if password:
        doc.set_encryption(owner_password="owner", user_password=password)
    size = rng.choice([9, 10, 11, 12])
    doc.add_page()
    left = rng.random() < 0.25 and not arabic  # a sidebar with the first blocks (contact details)
    for i, block in enumerate(blocks):
        if left and i == 3:
            doc.set_xy(70, 20)
        x, width = (10, 50) if left and i < 3 else ((70, 130) if left else (10, 0))
        doc.set_x(x)
        if block[0] == "h":
            doc.set_font(family, "B", size + 2)
            doc.ln(2)
            doc.set_x(x)
            doc.multi_cell(width, size * 0.7, clean(block[1]))
        elif block[0] == "p":
            doc.set_font(family, "", size)
            doc.multi_cell(width, size * 0.55, clean(block[1]))
        elif block[0] == "table":
            doc.set_font(family, "", size - 1)
            for row in block[1]:
                doc.set_x(x)
                for cell in row:
                    doc.cell(190 / len(row) if not left else 130 / len(row), size * 0.6, clean(cell)[:40], border=1)
                doc.ln()
        else:
            doc.ln(size * 0.5)
    return bytes(doc.output())


def page_image(blocks, *, width: int = 1240, size: int = 26) -> Image.Image:
    """A printed page as an image (DejaVu, which has Arabic glyphs; Arabic lines right-aligned,
    shaped by Pillow's libraqm), white paper, at about 150 dpi for an A4 page."""
    body = ImageFont.truetype(FONTS + "DejaVuSans.ttf", size)
    bold = ImageFont.truetype(FONTS + "DejaVuSans-Bold.ttf", size + 4)
    lines: list[tuple[str, ImageFont.FreeTypeFont]] = []
    for block in blocks:
        if block[0] == "table":
            lines += [("   ".join(row), body) for row in block[1]]
        elif block[0] == "blank":
            lines.append(("", body))
        else:
            lines.append((block[1], bold if block[0] == "h" else body))
    wrapped = [(part, font) for text, font in lines for part in _wrap(text, font, width - 160)]
    image = Image.new("L", (width, max(int(width * 1.414), 120 + len(wrapped) * (size + 14))), 255)
    draw = ImageDraw.Draw(image)
    for i, (text, font) in enumerate(wrapped):
        y = 80 + i * (size + 14)
        if any("\u0600" <= c <= "\u06ff" for c in text):
            draw.text((width - 80, y), text, font=font, fill=20, anchor="ra")
        else:
            draw.text((80, y), text, font=font, fill=20)
    return image


def _wrap(text: str, font, width: int) -> list[str]:
    out, line = [], ""
    for word in text.split(" "):
        if line and font.getlength(f"{line} {word}") > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return out + [line]


def photo(blocks, rng: random.Random, fmt: str = "JPEG") -> bytes:
    """A phone photo of a printed page: tilted a little, soft focus, uneven grey light, JPEG."""
    page = page_image(blocks).rotate(rng.uniform(-2.5, 2.5), resample=Image.BICUBIC, expand=True, fillcolor=200)
    page = page.filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.0)))
    light = Image.linear_gradient("L").resize(page.size).point(lambda v: 235 - v // 6)
    page = ImageChops.multiply(page, light.point(lambda v: min(255, v + 30)))
    out = io.BytesIO()
    page.convert("RGB").save(out, fmt, quality=70) if fmt == "JPEG" else page.save(out, fmt)
    return out.getvalue()


def scan_pdf(pages: list, rng: random.Random) -> bytes:
    """A scanned document: each page an image (a slight skew, grey paper), no text layer, in a
    PDF written by Pillow as a scanner's software does."""
    images = [page_image(blocks).rotate(rng.uniform(-0.8, 0.8), resample=Image.BICUBIC, fillcolor=250)
              .point(lambda v: max(v - 8, 0)) for blocks in pages]
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=150, save_all=True, append_images=images[1:])
    return out.getvalue()


def word(blocks, rng: random.Random) -> bytes:
    document = docx.Document()
    styled = rng.random() < 0.5
    if rng.random() < 0.4:
        document.sections[0].header.paragraphs[0].text = next(b[1] for b in blocks if b[0] == "p")
    for block in blocks:
        if block[0] == "h":
            if styled:
                document.add_heading(block[1], level=2)
            else:
                document.add_paragraph().add_run(block[1]).bold = True
        elif block[0] == "p":
            document.add_paragraph(block[1])
        elif block[0] == "table":
            rows = block[1]
            grid = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    grid.cell(r, c).text = value
        else:
            document.add_paragraph("")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def odt(blocks) -> bytes:
    document = OpenDocumentText()
    for block in blocks:
        if block[0] == "h":
            document.text.addElement(H(outlinelevel=2, text=block[1]))
        elif block[0] == "p":
            document.text.addElement(P(text=block[1]))
        elif block[0] == "table":
            table = Table()
            table.addElement(TableColumn(numbercolumnsrepeated=len(block[1][0])))
            for row in block[1]:
                tr = TableRow()
                for value in row:
                    cell = TableCell()
                    cell.addElement(P(text=value))
                    tr.addElement(cell)
                table.addElement(tr)
            document.text.addElement(table)
        else:
            document.text.addElement(P(text=""))
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def lines(blocks) -> list[str]:
    out = []
    for block in blocks:
        if block[0] == "table":
            out += ["\t".join(row) for row in block[1]]
        else:
            out.append(block[1] if len(block) > 1 else "")
    return out


def text(blocks, encoding: str = "utf-8") -> bytes:
    return "\r\n".join(lines(blocks)).encode(encoding)


def rtf(blocks) -> bytes:
    def esc(s: str) -> str:
        return "".join(c if ord(c) < 128 and c not in "\\{}" else
                       ("\\" + c if ord(c) < 128 else f"\\u{ord(c) if ord(c) < 32768 else ord(c) - 65536}?")
                       for c in s)
    body = "\n".join(esc(line) + "\\par" for line in lines(blocks))
    return ("{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0 Calibri;}}\\f0\\fs22\n" + body + "\n}").encode()


def html(blocks) -> bytes:
    import html as h

    parts = []
    for block in blocks:
        if block[0] == "h":
            parts.append(f"<h2>{h.escape(block[1])}</h2>")
        elif block[0] == "p":
            parts.append(f"<p>{h.escape(block[1])}</p>")
        elif block[0] == "table":
            rows = "".join("<tr>" + "".join(f"<td>{h.escape(c)}</td>" for c in row) + "</tr>" for row in block[1])
            parts.append(f"<table>{rows}</table>")
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><style>h2{color:#333}</style></head><body>"
            + "\n".join(parts) + "</body></html>").encode()


def sheet(blocks) -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Offre"
    for block in blocks:
        if block[0] == "table":
            for row in block[1]:
                ws.append(row)
        elif len(block) > 1:
            ws.append([block[1]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def legacy(data: bytes, kind: str) -> bytes:
    """A DOCX or XLSX saved again as Word 97 (.doc) or Excel 97 (.xls) by LibreOffice, as an
    applicant's old office suite writes them (Debian: libreoffice-writer-nogui, -calc-nogui)."""
    import shutil
    import subprocess
    import tempfile
    from pathlib import Path

    if shutil.which("soffice") is None:
        raise SystemExit("generating the .doc and .xls items needs LibreOffice: "
                         "apt-get install libreoffice-writer-nogui libreoffice-calc-nogui")
    source, target, export = {"doc": ("docx", "doc", "doc:MS Word 97"),
                              "xls": ("xlsx", "xls", "xls:MS Excel 97")}[kind]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / f"in.{source}").write_bytes(data)
        subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation={folder.as_uri()}/profile",
                        "--convert-to", export, "--outdir", str(folder / "out"), str(folder / f"in.{source}")],
                       check=True, capture_output=True, timeout=300)
        return (folder / "out" / f"in.{target}").read_bytes()
