"""Finished replications, kept as a partitioned Parquet dataset while a run is in progress.

Each replication's results (every variant) go to ``<stage>/replication=<r>/``
as three Parquet files — ``daily`` (one row per variant x day x node),
``sku`` (per variant x SKU) and ``flows`` (per leg) — written to a temporary
folder and renamed into place, so a replication is either there whole or not
at all. A replication computed twice (a worker died after finishing it, say)
replaces itself with identical content: nothing is counted twice. ``--resume``
reads back what is there and runs only the rest.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from twin.engine import RunResult


def _partition(stage: Path, replication: int) -> Path:
    return stage / f"replication={replication}"


def finished(stage: Path) -> list[int]:
    """Replications whose results are complete in ``stage``."""
    if not stage.exists():
        return []
    out = []
    for path in stage.glob("replication=*"):
        if (path / "flows.parquet").exists():
            out.append(int(path.name.split("=", 1)[1]))
    return sorted(out)


def save(stage: Path, replication: int, results: list[RunResult]) -> None:
    """Write one replication's results atomically."""
    stage.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{replication}-", dir=stage))
    try:
        daily, sku, flows = [], [], []
        for v, r in enumerate(results):
            days, nodes = next(iter(r.daily.values())).shape
            block = {"variant": np.full(days * nodes, v, np.int32),
                     "day": np.repeat(np.arange(days, dtype=np.int32), nodes),
                     "node": np.tile(np.arange(nodes, dtype=np.int32), days),
                     "seconds": np.full(days * nodes, r.seconds)}
            block.update({name: values.ravel() for name, values in r.daily.items()})
            daily.append(pd.DataFrame(block))
            k = len(next(iter(r.sku.values())))
            sku.append(pd.DataFrame({"variant": np.full(k, v, np.int32), "sku": np.arange(k, dtype=np.int32),
                                     **r.sku}))
            n = len(r.flows["units"])
            flows.append(pd.DataFrame({"variant": np.full(n, v, np.int32),
                                       **{name: np.asarray(values) for name, values in r.flows.items()}}))
        for name, frames in (("daily", daily), ("sku", sku), ("flows", flows)):
            table = pa.Table.from_pandas(pd.concat(frames, ignore_index=True), preserve_index=False)
            pq.write_table(table, tmp / f"{name}.parquet", compression="zstd")
        final = _partition(stage, replication)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def load(stage: Path, replication: int) -> list[RunResult]:
    """Read one replication's results back."""
    path = _partition(stage, replication)
    daily = pd.read_parquet(path / "daily.parquet")
    sku = pd.read_parquet(path / "sku.parquet")
    flows = pd.read_parquet(path / "flows.parquet")
    out = []
    for v in sorted(daily["variant"].unique()):
        d = daily[daily["variant"] == v]
        days, nodes = int(d["day"].max()) + 1, int(d["node"].max()) + 1
        arrays = {c: d[c].to_numpy().reshape(days, nodes)
                  for c in d.columns if c not in ("variant", "day", "node", "seconds")}
        s = sku[sku["variant"] == v]
        f = flows[flows["variant"] == v]
        out.append(RunResult(daily=arrays,
                             sku={c: s[c].to_numpy() for c in s.columns if c not in ("variant", "sku")},
                             flows={c: f[c].to_numpy() for c in f.columns if c != "variant"},
                             seconds=float(d["seconds"].iloc[0]) if len(d) else 0.0))
    return out


def reload(stage: Path | None, replications: int, resume: bool,
           on_done: Callable[[int], None] | None = None) -> dict[int, list[RunResult]]:
    """With ``resume``, the finished replications (below ``replications``) read back from ``stage``.

    ``on_done(replication)`` is called for each, as for a replication just run.
    """
    done: dict[int, list[RunResult]] = {}
    if stage is None or not resume:
        return done
    for r in finished(stage):
        if r < replications:
            done[r] = load(stage, r)
            if on_done:
                on_done(r)
    return done
