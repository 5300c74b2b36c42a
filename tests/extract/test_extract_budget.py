"""All the archives of one message share one budget: bytes unpacked, entries, depth. What does
not fit is named for review, in French, to be opened by hand; never an exception, never silence.
A winmail.dat that sends its decoder into an endless complaint is a damaged archive, at once."""
import io
import logging
import struct
import zipfile

from intake.extract import Attachment, read_text, unpack
from intake.extract.archive import MAX_TOTAL_BYTES
from intake.extract.document import SCAN

MB = 1024 * 1024
ZEROS = 9_900_000  # just under the size from which the compression ratio of one archive is checked


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def nested_zeros(outer: int, inner: int) -> bytes:
    """outer zips of inner zips of ~10 MB of zeros: each archive harmless alone, 1.4 GB in all."""
    leaf = zip_of({"annexe.txt": bytes(ZEROS)})
    middle = zip_of({f"partie{i}.zip": leaf for i in range(inner)})
    return zip_of({f"lot{i}.zip": middle for i in range(outer)})


def test_zips_nested_in_zips_stop_at_the_message_budget():
    data = nested_zeros(12, 12)
    assert len(data) < 150_000
    files, problems = unpack([Attachment("dossier.zip", data), Attachment("cv.txt", b"Curriculum vitae")])
    assert problems == [("dossier.zip", "archive trop volumineuse : plus de 100 Mo une fois décompressée avec "
                                        "les autres archives du message, pas entièrement ouverte ; à ouvrir à la main")]
    assert sum(len(f.data) for f in files) <= MAX_TOTAL_BYTES
    assert files[0].filename == "dossier.zip/lot0.zip/partie0.zip/annexe.txt"
    assert files[-1].filename == "cv.txt"


def test_sibling_archives_share_the_budget():
    one = zip_of({"annexe.txt": bytes(ZEROS)})
    siblings = [Attachment(f"piece{n}.zip", one) for n in range(12)]
    files, problems = unpack(siblings)
    assert [f.filename for f in files] == [f"piece{n}.zip/annexe.txt" for n in range(10)]
    assert [name for name, _ in problems] == ["piece10.zip", "piece11.zip"]
    assert all(reason.startswith("archive trop volumineuse : plus de 100 Mo") for _, reason in problems)


def test_archives_of_one_message_share_a_count_of_entries():
    many = zip_of({f"f{i}.txt": b"x" for i in range(1500)})
    files, problems = unpack([Attachment("a.zip", many), Attachment("b.zip", many)])
    assert len(files) == 1500 and files[0].filename == "a.zip/f0.txt"
    assert problems == [("b.zip", "archive trop volumineuse : plus de 2000 fichiers avec les autres archives "
                                  "du message, pas entièrement ouverte ; à ouvrir à la main")]


def test_each_message_has_its_own_budget():
    one = zip_of({"annexe.txt": bytes(ZEROS)})
    for _ in range(2):
        files, problems = unpack([Attachment(f"piece{n}.zip", one) for n in range(10)])
        assert len(files) == 10 and problems == []


def tnef_declaring_endless_properties() -> bytes:
    """21 bytes: TNEF signature, key, one attMAPIProps attribute whose 4 data bytes declare
    0xFFFFFFFF MAPI properties, and its checksum."""
    count = b"\xff\xff\xff\xff"
    data = struct.pack("<IH", 0x223E9F78, 0) + struct.pack("<BHHI", 1, 0x9003, 0x0006, len(count))
    data += count + struct.pack("<H", sum(count) & 0xFFFF)
    assert len(data) == 21
    return data


def test_a_winmail_dat_declaring_four_billion_properties_is_a_damaged_archive():
    files, problems = unpack([Attachment("winmail.dat", tnef_declaring_endless_properties())], timeout_s=60)
    assert files == []
    assert problems == [("winmail.dat", "archive illisible ou corrompue")]


def pdf_with_content(stream: bytes) -> bytes:
    """A one-page PDF whose page draws ``stream`` (offsets in the xref table are real)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer << /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_a_library_that_logs_without_end_is_capped(caplog):
    # 50,000 invalid gray levels: pdfminer.six logs a warning for each one
    data = pdf_with_content(b"/x G\n" * 50_000)
    with caplog.at_level(logging.DEBUG, logger="intake.extract"):
        result = read_text(Attachment("scan.pdf", data))
    assert result.problem == SCAN and result.reader == "pdfminer"
    tallies = [r.getMessage() for r in caplog.records if r.name == "intake.extract"]
    assert tallies == ["reader worker: 1000+ log record(s) from pdfminer.pdfinterp not shown "
                       "(first: 'Cannot set gray level because %r is an invalid float value')"]
    assert not [r for r in caplog.records if r.name.startswith("pdfminer")]
