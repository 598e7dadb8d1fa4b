"""Write a report folder atomically: everything goes to a temporary folder that is renamed when complete."""

from __future__ import annotations

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


class ReportExists(Exception):
    """The output folder exists and overwriting was not asked for."""


@contextmanager
def atomic_folder(final: Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder next to ``final``; rename it to ``final`` on success.

    On any exception (or interrupt) the temporary folder is removed and
    ``final`` is left as it was.
    """
    final = Path(final)
    if final.exists() and not overwrite:
        raise ReportExists(f"{final} already exists; choose another --out or pass --overwrite")
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".twin-tmp-{final.name}-", dir=final.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)
    try:
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
