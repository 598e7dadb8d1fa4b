"""Per-SKU values given as numbers, ``{sku: number}`` mappings or CSV/Parquet tables.

A network with thousands of SKUs keeps its per-SKU numbers in tables next to
the YAML file. A table referenced by a field has a ``sku`` column and a
column named after the field (``mean``, ``sd``, ``level``, ``s``, ``S``,
``Q``, ``initial_on_hand`` ...); an optional ``node`` column lets one table
serve many nodes (rows of other nodes are ignored).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twin.problems import Problem
from twin.yamlio import YamlDocument


def sha256_of(path: Path) -> str:
    """SHA-256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pd.read_csv(path)
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)
    raise ValueError(f"unsupported table format '{suffix}'; use .csv or .parquet")


def read_problem(path: Path, exc: Exception) -> Problem | None:
    """A CSV that cannot be parsed, at the line the parser names (None if it names none)."""
    message = " ".join(str(exc).split())
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if found:
        want, line, got = found.groups()
        return Problem(str(path), int(line), f"{got} values where the header has {want} columns; "
                                             "give every row one value per column (quote values that hold commas)")
    found = re.search(r"EOF inside string starting at row (\d+)", message)
    if found:  # pandas counts rows from 0 at the header: row r is line r + 1
        return Problem(str(path), int(found.group(1)) + 1, "a quote opened on this line is never closed; "
                                                           "close it, or remove it")
    found = re.search(r"line (\d+)", message)
    if isinstance(exc, pd.errors.ParserError) and found:
        return Problem(str(path), int(found.group(1)), f"cannot read the table: {message}")
    return None


@dataclass
class TableCache:
    """Loads each referenced table once and remembers every input file's hash."""

    base_dir: Path
    tables: dict[Path, pd.DataFrame] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)

    def resolve(self, name: str) -> Path:
        path = Path(name)
        return path if path.is_absolute() else (self.base_dir / path)

    def load(self, name: str) -> pd.DataFrame:
        path = self.resolve(name)
        if path not in self.tables:
            frame = read_table(path)
            frame.columns = [str(c).strip() for c in frame.columns]
            self.tables[path] = frame
            self.hashes[str(path)] = sha256_of(path)
        return self.tables[path]


@dataclass
class SkuValues:
    """Resolves per-SKU fields of one file into arrays over the SKU catalogue."""

    doc: YamlDocument
    sku_index: dict[str, int]
    cache: TableCache
    problems: list[Problem]
    _mapped: dict = field(default_factory=dict)  # (table, column, node, allow_negative) -> (index, values)
    _catalogue: pd.Index | None = None           # SKU ids in catalogue order, built on first use
    _said: set = field(default_factory=set)      # (table, what) already reported: once per table

    def resolve(self, value: Any, loc: tuple, column: str, node_id: str,
                default: float, allow_negative: bool = False) -> np.ndarray:
        """Array of ``value`` over all SKUs; SKUs not mentioned get ``default``.

        Problems (unknown SKUs, missing files or columns, negative numbers)
        are appended to ``self.problems`` and the offending entries ignored.
        """
        n = len(self.sku_index)
        out = np.full(n, default, dtype=np.float64)
        if value is None:
            return out
        if isinstance(value, (int, float)):
            if value < 0 and not allow_negative:
                self.problems.append(self.doc.problem(loc, f"'{column}' must be >= 0 (got {value})"))
                return out
            out[:] = float(value)
            return out
        if isinstance(value, dict):
            for sku, number in value.items():
                if sku not in self.sku_index:
                    self.problems.append(self.doc.problem(
                        loc + (sku,), f"SKU '{sku}' is not defined in 'skus'; add it there or fix the id"))
                    continue
                if number < 0 and not allow_negative:
                    self.problems.append(self.doc.problem(
                        loc + (sku,), f"'{column}' of SKU '{sku}' must be >= 0 (got {number})"))
                    continue
                out[self.sku_index[sku]] = float(number)
            return out
        return self._from_table(str(value), loc, column, node_id, out, allow_negative)

    def _from_table(self, name: str, loc: tuple, column: str, node_id: str,
                    out: np.ndarray, allow_negative: bool) -> np.ndarray:
        path = self.cache.resolve(name)
        if not path.exists():
            self.problems.append(self.doc.problem(
                loc, f"table '{name}' not found (looked for {path}); fix the path, "
                     f"which is relative to {self.doc.path.name}"))
            return out
        try:
            frame = self.cache.load(name)
        except Exception as exc:  # pandas/pyarrow raise many kinds
            if (path, "read") not in self._said:  # said once, however many nodes name the table
                self._said.add((path, "read"))
                self.problems.append(read_problem(path, exc) or self.doc.problem(
                    loc, f"cannot read table '{name}': {' '.join(str(exc).split())}"))
            return out
        missing = [c for c in ("sku", column) if c not in frame.columns]
        if missing:
            if (path, column) not in self._said:
                self._said.add((path, column))
                self.problems.append(Problem(
                    str(path), 1, f"missing column(s) {', '.join(missing)}; a table for '{column}' needs "
                                  f"columns 'sku' and '{column}' (and optionally 'node')"))
            return out
        per_node = "node" in frame.columns
        key = (path, column, node_id if per_node else None, allow_negative)
        if key not in self._mapped:  # a table shared by many nodes is mapped to SKUs once
            rows = frame[frame["node"].astype(str) == node_id] if per_node else frame
            line_offset = 2 if path.suffix.lower() == ".csv" else 1
            skus = rows["sku"].astype(str).to_numpy()
            values = pd.to_numeric(rows[column], errors="coerce").to_numpy(dtype=np.float64)
            if self._catalogue is None:
                self._catalogue = pd.Index(list(self.sku_index.keys()))
            index = self._catalogue.get_indexer(skus).astype(np.int64)
            bad = np.flatnonzero(index < 0)
            for i in bad[:20]:
                self.problems.append(Problem(
                    str(path), int(rows.index[i]) + line_offset,
                    f"SKU '{skus[i]}' is not defined in the network's 'skus'"))
            invalid = np.flatnonzero(~np.isfinite(values) | ((values < 0) & (not allow_negative)))
            wanted = "a finite number" if allow_negative else "a number >= 0"
            for i in invalid[:20]:
                got = rows[column].iloc[i]
                got = got.item() if isinstance(got, np.generic) else got  # 'nan', not 'np.float64(nan)'
                self.problems.append(Problem(str(path), int(rows.index[i]) + line_offset,
                                             f"'{column}' must be {wanted} (got {got!r})"))
            ok = (index >= 0) & np.isfinite(values)
            if not allow_negative:
                ok &= values >= 0
            self._mapped[key] = (index[ok], values[ok])
        index, values = self._mapped[key]
        out[index] = values
        return out
