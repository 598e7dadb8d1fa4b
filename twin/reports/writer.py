"""Write a report folder atomically: everything goes to a temporary folder that is renamed when complete."""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


class ReportFolderError(Exception):
    """The report cannot go where it was asked to; the message says what to do."""


class ReportExists(ReportFolderError):
    """The output folder exists and overwriting was not asked for."""


class ReportUnwritable(ReportFolderError):
    """The output folder cannot be created or written (permissions, a read-only or full disk, a bad path)."""


def unwritable(final: Path, error: OSError, what: str = "the report folder") -> ReportUnwritable:
    """The message of an ``error`` from writing ``final``: what failed, and to choose another ``--out``."""
    where = f" ({error.filename})" if error.filename and str(error.filename) != str(final) else ""
    return ReportUnwritable(f"cannot write {what} {final}: {error.strerror or error}{where}; "
                            "choose another --out (a folder you can write, on a disk with room)")


def check_parent(final: Path, what: str = "the report folder", probe: bool = True) -> None:
    """Raise :class:`ReportUnwritable` unless ``final``'s folder exists or can be made (and, with
    ``probe``, takes new entries: left to the caller that makes its entry next)."""
    final = Path(final)
    above = next((p for p in final.parents if p.exists()), None)
    if above is not None and not above.is_dir():
        raise ReportUnwritable(f"cannot write {what} {final}: {above} is a file, not a folder; choose another --out")
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        if probe:
            os.rmdir(tempfile.mkdtemp(prefix=f".twin-tmp-{final.name}-", dir=final.parent))
    except OSError as error:
        raise unwritable(final, error, what) from error


#: Errors of writing that are the place's, not twin's: the user picks another --out.
NO_WRITE = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.ENAMETOOLONG}


@contextmanager
def place_errors(final: Path, what: str = "the report folder") -> Iterator[None]:
    """Raise the place's errors (no room, no permission, a read-only disk) as :class:`ReportUnwritable`."""
    try:
        yield
    except OSError as error:
        if error.errno in NO_WRITE:
            raise unwritable(final, error, what) from error
        raise


def check_folder(final: Path, overwrite: bool = False, resume: bool = False, probe: bool = True) -> None:
    """Raise before any work if the report could not be written to ``final``.

    ``final`` must not exist (unless ``overwrite``; with ``resume`` an existing one is a finished
    run) and its parent must be a folder this process can create and write into (the parent is
    created, as writing the report would).
    """
    final = Path(final)
    if final.exists() and not overwrite:
        raise ReportExists(f"{final} is a finished report: nothing to resume (choose another --out, or pass "
                           "--overwrite to run it again)" if resume
                           else f"{final} already exists; choose another --out or pass --overwrite")
    check_parent(final, probe=probe)


@contextmanager
def atomic_folder(final: Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder next to ``final``; rename it to ``final`` on success.

    On any exception (or interrupt) the temporary folder is removed and
    ``final`` is left as it was. A folder that cannot be made, and a write that fails for want
    of room or permission, raise :class:`ReportUnwritable`.
    """
    final = Path(final)
    check_folder(final, overwrite, probe=False)  # (making the temporary folder is the probe)
    with place_errors(final):
        tmp = Path(tempfile.mkdtemp(prefix=f".twin-tmp-{final.name}-", dir=final.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)
    try:
        with place_errors(final):
            yield tmp
            if final.exists():
                trash = Path(tempfile.mkdtemp(prefix=f".twin-old-{final.name}-", dir=final.parent))
                os.replace(final, trash / final.name)
                os.replace(tmp, final)
                shutil.rmtree(trash, ignore_errors=True)
            else:
                os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_parquet(frame: pd.DataFrame, path: Path, metadata: dict) -> None:
    """Write ``frame`` to ``path`` with ``metadata`` as JSON under the schema key ``twin``."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    existing = table.schema.metadata or {}
    table = table.replace_schema_metadata({**existing, b"twin": json.dumps(metadata, sort_keys=True).encode()})
    pq.write_table(table, path, compression="zstd")


def write_json(data: dict, path: Path) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")


def read_metadata(path: Path) -> dict:
    """The ``twin`` provenance metadata of a Parquet file written by :func:`write_parquet`."""
    meta = pq.read_schema(path).metadata or {}
    return json.loads(meta.get(b"twin", b"{}"))
