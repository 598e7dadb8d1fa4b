"""The synthetic networks the benchmarks run on: made by ``twin generate`` once, then cached."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"


def synthetic(stores: int, skus: int, seed: int, days: int) -> Path:
    """The folder of a generated network (``network.yaml``, ``baseline.yaml`` and its tables).

    It is made with ``twin generate`` (8 DCs, 4 hubs, 20 suppliers; deterministic for a seed;
    written whole or not at all) the first time it is asked for. When it cannot be made,
    ``twin generate`` has said why (e.g. its city table is not beside the checkout) and this
    process exits with its code.
    """
    folder = CACHE / f"synthetic-{stores}x{skus}-s{seed}-d{days}"
    if not (folder / "network.yaml").exists():
        made = subprocess.run([sys.executable, "-m", "twin.cli", "generate", "--out", str(folder),
                               "--stores", str(stores), "--skus", str(skus), "--seed", str(seed),
                               "--horizon-days", str(days), "--overwrite"])
        if made.returncode:
            sys.exit(made.returncode)
    return folder
