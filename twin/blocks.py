"""Row blocks of node x SKU tables: a few MB at a time, so each block stays in cache while it is used."""

from __future__ import annotations

#: Positions (node x SKU values) in a block: 4 MB in single precision, 8 MB in double.
POSITIONS = 1 << 20


def row_blocks(n_rows: int, n_cols: int, positions: int = POSITIONS) -> list[slice]:
    """Slices of consecutive rows, each about ``positions`` values of ``n_cols`` columns (at least one row)."""
    step = max(1, positions // max(1, n_cols))
    return [slice(a, min(a + step, n_rows)) for a in range(0, n_rows, step)]
