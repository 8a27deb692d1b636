"""Hashing many files on every core: what `hotline hash PATH...` runs.

No Django here, on purpose: the workers are started by a fork server, so they import this
module and `signals` (PIL, numpy, pdqhash) and nothing else; they never load settings or open a
database connection, however many there are.

Each file gives one record, a dict ready for one JSON line: its path and every hash, or its path
and an `error` sentence. Records come out in the order of the paths given (folders walked in
sorted order), so two runs over the same files print the same lines.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from hotline.hashlist.signals import NotAnImage, hash_image

# A file this large is refused unread: even an uncompressed 24-megapixel TIFF is under 100 MB,
# and a folder of evidence may hold videos of several GB that would only fill the memory.
MAX_FILE_BYTES = 256 * 1024 * 1024

Record = dict[str, Any]


def files_under(paths: Iterable[str | Path]) -> list[str]:
    """The files named, and those under the folders named (recursively, in sorted order, not
    following links to folders, which may loop). A path that does not exist is kept, so that it
    gets its own error record rather than vanishing."""
    found: list[str] = []
    for path in map(str, paths):
        if not os.path.isdir(path):
            found.append(path)
            continue
        for folder, subfolders, names in os.walk(path):
            subfolders.sort()
            found.extend(os.path.join(folder, name) for name in sorted(names))
    return found


def hash_file(path: str, fast: bool = True) -> Record:
    """One file's record: {"path", "md5", "sha1", "sha256", "pdq", "pdq_quality", "pdq_exact",
    "width", "height"}, or {"path", "error"} when it cannot be read or is not an image."""
    try:
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            return {
                "path": path,
                "error": f"the file is {size:,} bytes, more than the {MAX_FILE_BYTES:,} "
                "this command reads as an image",
            }
        with open(path, "rb") as file:
            data = file.read()
    except OSError as error:
        return {"path": path, "error": f"cannot read the file: {error.strerror or error}"}
    try:
        hashes = hash_image(data, fast=fast)
    except NotAnImage as error:
        return {"path": path, "error": error.reason}
    return {"path": path, **asdict(hashes)}


def hash_files(
    paths: list[str], *, fast: bool = True, workers: int | None = None
) -> Iterator[Record]:
    """The record of each file in `paths`, in that order, hashed by `workers` processes (by
    default one per core; 1 hashes in this process).

    At most a few files per worker are in flight at once, so memory stays flat for a million
    files, and a slow file holds back the output (not the workers) only briefly."""
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(paths) < 2:
        for path in paths:
            yield hash_file(path, fast)
        return
    # A fork server, not fork: the workers start from a clean interpreter, so they never hold a
    # copy of the caller's Django state, database connections or threads.
    context = multiprocessing.get_context("forkserver")
    # ... which imports this module (PIL, numpy, pdqhash) once, before it forks each worker,
    # instead of the caller's main script.
    context.set_forkserver_preload([__name__])
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[Future[Record]] = deque()
        queued = iter(paths)
        for path in queued:
            pending.append(pool.submit(hash_file, path, fast))
            if len(pending) >= workers * 4:
                break
        while pending:
            record = pending.popleft().result()
            for path in queued:
                pending.append(pool.submit(hash_file, path, fast))
                break
            yield record
