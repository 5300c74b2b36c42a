"""Document reading: files as applicants send them -> text, safely and within bounds.

    safe_filename(name)          a harmless, never-empty file name
    unpack(attachments)          zip and winmail.dat opened into their members, with problems
    read_text(attachment)        text (or a plain French problem) read in a bounded child process
"""
from .archive import unpack
from .document import Attachment, DocumentText
from .names import safe_filename
from .sandbox import read_text

__all__ = ["Attachment", "DocumentText", "read_text", "safe_filename", "unpack"]
