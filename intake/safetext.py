"""printable: text from a mail made harmless for a terminal, a log file or a report.

A display name, a subject or a file name is the sender's to choose. Written as it is, an
escape sequence (ESC [2J clears a terminal, ESC ]0; retitles it), another control character
or a bidirectional override (U+202E shows "fdp.exe" as "exe.pdf") would act on whoever reads
the output. The one function here is used for every such output: the log formatter
(intake/logs.py), the report (intake/reports/) and the command line's own lines.
"""
from __future__ import annotations

from collections.abc import Mapping

_SPACES = "\t\n\v\f\r\x85\u2028\u2029"   # line and paragraph breaks: one line stays one line
_BIDI = "".join(map(chr, (*range(0x202A, 0x202F), *range(0x2066, 0x206A))))
_CONTROLS = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]

_ONE_LINE: dict[int, str | None] = {code: None for code in _CONTROLS}
_ONE_LINE.update({ord(ch): " " for ch in _SPACES})
_ONE_LINE.update({ord(ch): None for ch in _BIDI})
_LINES = dict(_ONE_LINE)
_LINES[ord("\n")] = "\n"
_LINES[ord("\t")] = "\t"


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """`text` without control characters (line breaks and tabs become spaces, unless
    `keep_newlines`) and without bidirectional embeddings, overrides and isolates. What is
    left of an escape sequence ("[2J") is plain text."""
    text = str(text)
    if text.isprintable():   # no control, format (bidi) or line-separator character: as it is
        return text
    return text.translate(_LINES if keep_newlines else _ONE_LINE)


def printable_tree(value):
    """Every string in a structure of dicts, lists and tuples made printable (one line each)."""
    kind = type(value)
    if kind is str:
        return value if value.isprintable() else value.translate(_ONE_LINE)
    if kind is dict:
        return {key: printable_tree(item) for key, item in value.items()}
    if kind is list:
        return [printable_tree(item) for item in value]
    if value is None or kind in (int, float, bool):
        return value
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, Mapping):
        return {key: printable_tree(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(printable_tree(item) for item in value)
    return value
