"""The lines of a mail's base64 bodies joined into one line each, before parsing.

The standard library's parser (under mail-parser) handles a mail line by line, about 1.2 µs a
line: a mail with a PDF of 1 MB (17,500 lines of base64) took 42 ms to parse, 24 ms with its
base64 joined. Decoding base64 ignores line ends, so a base64 body joined into one line decodes
to the same bytes (the standard library itself joins the lines before decoding).
`join_base64_lines` goes from header block to header block (the message's, then the one after
each line that starts with "--"), with searches and translations that run in C, and joins a
body only where its block says `Content-Transfer-Encoding: base64` exactly as the standard
library reads it, and the body, up to the next line that starts with "--", is nothing but
base64 lines.

Such a header can also be written in a text body (a mail pasted into a message). So the parse
of the joined bytes is checked (`joined_outside_base64`): if a part that is not base64, or the
text before or after the parts of a multipart, holds a line of at least MIN_JOINED base64
characters, the mail is parsed again from its own bytes. Only bodies that join into such a
line are joined, so a join in the wrong place is always seen.
"""
from __future__ import annotations

import re
from email.message import Message

MIN_JOINED = 320     # characters: a joined body at least this long (shorter ones stay as they are)
# a bigger mail is parsed from its own bytes: joined, it would be held twice while it is parsed
# (about 3 times its size more at the peak), which could take it over the parser's memory budget
MAX_MAIL_BYTES = 8 * 1024 * 1024
_AS_LETTERS = bytes.maketrans(b"+/=", b"AAA")   # base64 is then letters and digits only
# exactly what makes the standard library decode base64: spaces before the value are dropped, not after
_HEADER = re.compile(rb"^content-transfer-encoding:[ \t]*base64\r?$", re.I | re.M)
_BLANK_LINE = re.compile(rb"\n\r?\n")
_JOINED = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/=]{%d,}" % MIN_JOINED)   # tried at run starts only: linear


def join_base64_lines(raw: bytes) -> bytes:
    """`raw` with each base64 body on one line; `raw` itself when there is nothing to join.
    Goes from header block to header block: the message's own, then the one after each line
    that starts with "--" (a boundary, or a line that only looks like one)."""
    if len(raw) > MAX_MAIL_BYTES:
        return raw
    pieces: list[bytes] = []
    done = 0      # raw[:done] is in pieces
    head = 0      # where a header block may begin
    while head >= 0:
        body = _after_blank_line(raw, head)
        if body < 0:
            break
        stop = raw.find(b"\n--", body - 1)
        stop = len(raw) if stop < 0 else stop + 1          # the start of the "--" line
        if _HEADER.search(raw, head, body) and (line := _joined(raw[body:stop])) is not None:
            pieces += [raw[done:body], *line]
            done = stop
        head = -1 if stop >= len(raw) else stop
    if not pieces:
        return raw
    pieces.append(raw[done:])
    return b"".join(pieces)


def _joined(block: bytes) -> tuple[bytes, bytes] | None:
    """(the block's base64 on one line, the line ends that closed the block), or None when the
    block is not only base64 lines, has a single line end (nothing to join), or joins into
    fewer than MIN_JOINED characters."""
    line = block.translate(None, b"\r\n")
    line_end_bytes = len(block) - len(line)
    if len(line) < MIN_JOINED or line_end_bytes <= 2 or not line.translate(_AS_LETTERS).isalnum():
        return None
    tail = len(block)
    while block[tail - 1] in b"\r\n":   # the block's last character is base64 or a line end
        tail -= 1
    return line, block[tail:]


def _after_blank_line(raw: bytes, start: int) -> int:
    """The start of the line after the first blank line from `start` on, or -1."""
    found = _BLANK_LINE.search(raw, start)
    return -1 if found is None else found.end()


def joined_outside_base64(message: Message) -> bool:
    """Whether the parse of joined bytes may differ from that of the mail's own bytes: a part
    that is not base64, or a multipart's preamble or epilogue, holds a joined-looking line."""
    for part in message.walk():
        if part.is_multipart():
            texts = [part.preamble, part.epilogue]
        elif str(part.get("content-transfer-encoding", "")).lower() != "base64":   # as get_payload()
            texts = [part.get_payload()]
        else:
            continue
        if any(isinstance(text, str) and _JOINED.search(text) for text in texts):
            return True
    return False
