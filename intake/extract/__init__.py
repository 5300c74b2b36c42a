"""Document reading: files as applicants send them -> text, safely and within bounds.

    safe_filename(name)          a harmless, never-empty file name
    unpack(attachments)          zip and winmail.dat opened into their members, with problems
    read_text(attachment)        text (or a plain French problem) read by a bounded worker process
    read_many(attachments)       the same for several documents, read in parallel
    read_then(attachments, fns)  the same, and each text given to a pure function in its worker

Importing this package is cheap: the document libraries are imported by the reader workers
(pool.py), which start the first time a document is read.
"""
from .document import Attachment, DocumentText
from .names import safe_filename
from .reading import read_many, read_text, read_then, unpack, warm_readers

__all__ = ["Attachment", "DocumentText", "read_many", "read_text", "read_then", "safe_filename", "unpack",
           "warm_readers"]
