"""Refuse zip containers (archives, DOCX, XLSX, ODT) that would expand beyond reason."""
from __future__ import annotations

import zipfile

MAX_MEMBERS = 2000
MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed; text compresses ~10x, bombs ~1000x


class ZipTooLarge(Exception):
    """The archive declares more content than any application file needs."""


def check_zip(zf: zipfile.ZipFile, *, max_total: int = MAX_TOTAL_BYTES) -> None:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ZipTooLarge(f"{len(infos)} fichiers dans l'archive")
    total = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos)
    if total > max_total:
        raise ZipTooLarge("contenu décompressé trop volumineux")
    if total > 10 * 1024 * 1024 and total > MAX_RATIO * max(packed, 1):
        raise ZipTooLarge("taux de compression anormal (bombe zip)")
