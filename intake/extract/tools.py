"""Debian programs that read a document (antiword, catdoc, tesseract), run from a reader worker.

The program inherits the worker's limits (address space, no file writing); it is given the
document through its standard input or as an anonymous in-memory file (memfd: nothing on disk),
is killed after ``timeout_s`` and dies with its worker (PR_SET_PDEATHSIG), so a worker killed
for overrunning leaves no program behind. It runs with one thread (OMP_THREAD_LIMIT=1): the
workers already use every core.
"""
from __future__ import annotations

import os
import resource
import shutil
import subprocess

from ..children import die_with_parent, load_prctl

MAX_OUTPUT = 4 * 2**20


class ToolFailed(Exception):
    """The program failed, overran its time or is not installed."""


def installed(command: str) -> bool:
    return shutil.which(command) is not None


def run(argv: list[str], *, stdin: bytes = b"", timeout_s: float, fds: tuple[int, ...] = ()) -> bytes:
    """The program's standard output; ToolFailed when it fails or overruns."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OMP_THREAD_LIMIT": "1", "LC_ALL": "C.UTF-8"}
    if "TESSDATA_PREFIX" in os.environ:
        env["TESSDATA_PREFIX"] = os.environ["TESSDATA_PREFIX"]
    load_prctl()
    try:
        done = subprocess.run(argv, input=stdin, capture_output=True, timeout=max(timeout_s, 0.1), env=env,
                              pass_fds=fds, preexec_fn=die_with_parent, check=False)
    except (subprocess.TimeoutExpired, OSError) as exc:
        raise ToolFailed(f"{argv[0]}: {type(exc).__name__}") from None
    if done.returncode != 0:
        raise ToolFailed(f"{argv[0]} exited with {done.returncode}")
    return done.stdout[:MAX_OUTPUT]


def memory_file(data: bytes) -> int:
    """An anonymous in-memory file holding ``data`` (for programs that need a file name:
    /proc/self/fd/N). A worker may write no file (RLIMIT_FSIZE=0): the limit is lifted for
    exactly this many bytes, then put back."""
    fd = os.memfd_create("document")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    if soft != resource.RLIM_INFINITY:
        resource.setrlimit(resource.RLIMIT_FSIZE, (len(data), hard))
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    return fd
