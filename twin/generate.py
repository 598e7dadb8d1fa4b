"""``twin generate``: a synthetic retail network on real US cities, at any scale.

Structure of what is written (deterministic for a seed; one
``numpy.random.default_rng(seed)`` is the only randomness):

* **Cities**: GeoNames' 500 most populous US cities (CC BY 4.0), read from a
  CSV (``--cities``; default: the project's shared data folder). Stores go to
  the most populous cities (more stores than cities: extra stores in the
  largest cities, a few km apart); DCs, hubs and suppliers to large cities
  chosen far apart (farthest-point sampling).
* **SKUs**: one category per supplier; price and weight lognormal around the
  category's typical values; unit cost = price × (1 − margin). Velocity is
  long-tailed (Zipf-like in the SKU's rank within its category, exponent 1.1),
  so most SKUs are slow movers with intermittent (mostly zero) daily Poisson
  demand. ABC segments by revenue (80/15/5%).
* **Stores**: demand = the SKU's base rate × the store's size
  (sqrt(population / median population), clipped to [0.5, 3]); (s, S) at a
  95% service level, reviewed daily.
* **Network**: each supplier ships to its nearest hub; each hub to every DC;
  each DC serves its nearest stores. Lanes cost as the example network
  (ATRI 2025 truck costs, fuel share 26%).

Tables go to Parquet next to the YAML, so the YAML stays small.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from twin.geo import haversine_km
from twin.problems import Problem, ProblemList

#: Where the GeoNames city table is looked for when ``--cities`` is not given.
DEFAULT_CITIES = Path(__file__).resolve().parents[2] / "shared" / "data" / "geonames_us_cities" / "us_cities_top500.csv"

_CATEGORIES = [  # name, typical price USD, typical kg, gross margin
    ("dairy", 3.5, 1.0, 0.25), ("produce", 2.8, 0.8, 0.35), ("bakery", 3.2, 0.6, 0.40),
    ("meat", 8.5, 1.0, 0.22), ("frozen", 5.0, 0.9, 0.30), ("dry-grocery", 2.9, 0.6, 0.28),
    ("snacks", 3.8, 0.3, 0.35), ("beverages", 4.5, 1.8, 0.30), ("household", 6.5, 1.5, 0.33),
    ("personal-care", 7.5, 0.4, 0.40), ("pet", 11.0, 3.0, 0.30), ("baby", 14.0, 1.2, 0.27),
]
_KM_PER_DAY, _CIRCUITY, _PER_KG_KM, _FUEL = 800.0, 1.2, 0.00007, 0.26


@dataclass
class City:
    name: str
    state: str
    lat: float
    lon: float
    population: int

    @property
    def label(self) -> str:
        return f"{self.name} {self.state}"

    @property
    def slug(self) -> str:
        return "".join(c if c.isalnum() else "-" for c in f"{self.name}-{self.state}".lower()).strip("-")


def load_cities(path: Path) -> list[City]:
    """Cities from a GeoNames-style CSV (name, state, latitude, longitude, population), largest first."""
    if not path.exists():
        raise ProblemList([Problem(str(path), 0, "city table not found; pass --cities with a CSV of "
                                                 "name,state,latitude,longitude,population (e.g. GeoNames)")])
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    cities = [City(r["name"], r["state"], float(r["latitude"]), float(r["longitude"]), int(r["population"]))
              for r in rows]
    return sorted(cities, key=lambda c: -c.population)


def _km(a: City, b: City) -> float:
    return haversine_km(a.lat, a.lon, b.lat, b.lon) * _CIRCUITY


def _spread(candidates: list[City], n: int, avoid: list[City] = ()) -> list[City]:
    """``n`` cities far apart: start from the largest, then repeatedly the farthest from those chosen."""
    chosen: list[City] = []
    taken = {c.label for c in avoid}
    pool = [c for c in candidates if c.label not in taken]
    if not pool:
        return chosen
    chosen.append(pool[0])
    while len(chosen) < n and len(chosen) < len(pool):
        best = max((c for c in pool if c not in chosen), key=lambda c: min(_km(c, x) for x in chosen))
        chosen.append(best)
    return chosen


def _flow(d: dict) -> str:
    def val(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, dict):
            return _flow(v)
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        if isinstance(v, str):
            return v if all(ch.isalnum() or ch in "-_./" for ch in v) else '"' + v + '"'
        if isinstance(v, float):
            return f"{v:.6g}" if "e" not in f"{v:.6g}" else f"{v:.10f}".rstrip("0")
        return str(v)
    return "{" + ", ".join(f"{k}: {val(v)}" for k, v in d.items()) + "}"


def _transit(km: float) -> dict | int:
    mean = round(max(1.0, km / _KM_PER_DAY + 0.5), 2)
    return {"dist": "lognormal", "mean": mean, "sd": round(0.15 * mean, 2)}


def generate(out: Path, stores: int = 500, skus: int = 50_000, dcs: int = 8, hubs: int = 4, suppliers: int = 20,
             seed: int = 0, cities_path: Path | None = None, horizon_days: int = 365) -> Path:
    """Write ``network.yaml``, ``skus.parquet``, ``demand.parquet`` and ``baseline.yaml`` to ``out``.

    Returns the path of the network file.
    """
    if min(stores, skus, dcs, hubs, suppliers) < 1:
        raise ValueError("every count must be at least 1")
    rng = np.random.default_rng(seed)
    cities = load_cities(cities_path or DEFAULT_CITIES)
    out.mkdir(parents=True, exist_ok=True)

    # Places.
    dc_cities = _spread(cities[:150], dcs)
    hub_cities = _spread(cities[:80], hubs, avoid=dc_cities)
    sup_cities = _spread(cities[:400], suppliers, avoid=dc_cities + hub_cities)
    store_cities = [cities[i % len(cities)] for i in range(stores)]

    # SKUs: categories by supplier, long-tailed velocities.
    n_cat = min(suppliers, len(_CATEGORIES) * 4)
    cat_names = [f"{_CATEGORIES[i % len(_CATEGORIES)][0]}{'' if i < len(_CATEGORIES) else '-' + str(i // len(_CATEGORIES) + 1)}"
                 for i in range(n_cat)]
    category = rng.integers(0, n_cat, size=skus)
    base = np.array([_CATEGORIES[c % len(_CATEGORIES)] for c in range(n_cat)], dtype=object)
    price = np.array([base[c][1] for c in category]) * rng.lognormal(0.0, 0.45, size=skus)
    weight = np.array([base[c][2] for c in category]) * rng.lognormal(0.0, 0.5, size=skus)
    margin = np.array([base[c][3] for c in category]) * rng.uniform(0.8, 1.2, size=skus)
    rank_in_cat = np.empty(skus)
    for c in range(n_cat):
        idx = np.flatnonzero(category == c)
        rank_in_cat[idx] = rng.permutation(len(idx)) + 1
    per_cat = np.bincount(category, minlength=n_cat).astype(float)
    # Busiest SKU of a category ~ 40 units/day at an average store; long tail below 0.05.
    rate = 40.0 * (rank_in_cat ** -1.1) * rng.lognormal(0.0, 0.3, size=skus) * (50.0 / np.maximum(per_cat[category], 50.0)) ** 0.5
    rate = np.clip(rate, 0.01, 80.0)
    ids = [f"sku-{i:06d}" for i in range(skus)]
    revenue = price * rate
    order = np.argsort(-revenue)
    share = np.cumsum(revenue[order]) / revenue.sum()
    segment = np.empty(skus, dtype=object)
    segment[order] = np.where(share <= 0.8, "A", np.where(share <= 0.95, "B", "C"))
    pd.DataFrame({"id": ids, "unit_cost": np.round(price * (1 - margin), 2), "price": np.round(price, 2),
                  "weight_kg": np.round(weight, 3), "segment": segment,
                  "category": [cat_names[c] for c in category]}).to_parquet(out / "skus.parquet", index=False)
    pd.DataFrame({"sku": ids, "mean": np.round(rate, 4)}).to_parquet(out / "demand.parquet", index=False)

    # Nodes.
    median_pop = float(np.median([c.population for c in cities]))
    lines = [f"# Generated by `twin generate --stores {stores} --skus {skus} --dcs {dcs} --hubs {hubs} "
             f"--suppliers {suppliers} --seed {seed}`.",
             "# City coordinates: GeoNames (CC BY 4.0), https://www.geonames.org",
             f"name: synthetic-{stores}x{skus}",
             f"description: Synthetic retailer, {stores} stores x {skus} SKUs on real US cities.",
             "holding_rate_per_year: 0.25", "skus: skus.parquet", "", "nodes:"]
    sup_ids = []
    for i, c in enumerate(sup_cities):
        sup_ids.append(f"sup-{i:02d}-{c.slug}")
        lines.append("  - " + _flow({"id": sup_ids[-1], "kind": "supplier", "city": c.label,
                                     "location": [round(c.lat, 5), round(c.lon, 5)],
                                     "lead_time_days": {"dist": "gamma", "mean": 2.0, "sd": 0.5}}))
    hub_ids = []
    for i, c in enumerate(hub_cities):
        hub_ids.append(f"hub-{c.slug}")
        lines.append("  - " + _flow({"id": hub_ids[-1], "kind": "hub", "city": c.label,
                                     "location": [round(c.lat, 5), round(c.lon, 5)], "handling_days": 0.5}))
    # Only the categories some SKU has (with few SKUs some stay empty; a source for none is an error).
    cat_source = {cat_names[k]: sup_ids[k % len(sup_ids)] for k in range(n_cat) if per_cat[k] > 0}
    dc_ids = [f"dc-{c.slug}" for c in dc_cities]
    for dc_id, c in zip(dc_ids, dc_cities):
        lines.append("  - " + _flow({"id": dc_id, "kind": "dc", "city": c.label,
                                     "location": [round(c.lat, 5), round(c.lon, 5)], "source": cat_source,
                                     "policy": {"type": "base_stock", "service_level": 0.95}}))
    store_rows, seen = [], {}
    for c in store_cities:
        seen[c.slug] = seen.get(c.slug, 0) + 1
        k = seen[c.slug]
        sid = f"store-{c.slug}" + (f"-{k}" if k > 1 else "")
        lat, lon = c.lat + 0.02 * (k - 1), c.lon + 0.02 * (k - 1)
        dc = min(range(len(dc_cities)), key=lambda j: haversine_km(lat, lon, dc_cities[j].lat, dc_cities[j].lon))
        size = float(np.clip(math.sqrt(c.population / median_pop), 0.5, 3.0))
        store_rows.append((sid, dc))
        lines.append("  - " + _flow({"id": sid, "kind": "store", "city": c.label,
                                     "location": [round(lat, 5), round(lon, 5)], "source": dc_ids[dc],
                                     "demand": {"dist": "poisson", "mean": "demand.parquet", "scale": round(size, 3)},
                                     "policy": {"type": "sS", "service_level": 0.95}}))

    # Lanes.
    lines += ["", "lanes:"]
    for sup_id, c in zip(sup_ids, sup_cities):
        h = min(range(len(hub_cities)), key=lambda j: _km(c, hub_cities[j]))
        km = round(_km(c, hub_cities[h]))
        lines.append("  - " + _flow({"from": sup_id, "to": hub_ids[h], "distance_km": km, "transit_days": _transit(km),
                                     "cost_per_shipment": 250, "cost_per_kg_km": _PER_KG_KM, "fuel_share": _FUEL}))
    for hub_id, hc in zip(hub_ids, hub_cities):
        for dc_id, dcc in zip(dc_ids, dc_cities):
            km = round(_km(hc, dcc))
            lines.append("  - " + _flow({"from": hub_id, "to": dc_id, "distance_km": km, "transit_days": _transit(km),
                                         "cost_per_shipment": 200, "cost_per_kg_km": _PER_KG_KM, "fuel_share": _FUEL}))
    for (sid, dc), c in zip(store_rows, store_cities):
        lines.append("  - " + _flow({"from": dc_ids[dc], "to": sid, "transit_days": 1, "cost_per_shipment": 75,
                                     "cost_per_kg_km": _PER_KG_KM, "fuel_share": _FUEL}))
    network = out / "network.yaml"
    network.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / "baseline.yaml").write_text(
        f"name: synthetic-baseline\ndescription: One year of the synthetic network, no disruptions.\n"
        f"network: network.yaml\nhorizon_days: {horizon_days}\nwarmup_days: 0\nreplications: 1\nseed: {seed}\n"
        "disruptions: []\n", encoding="utf-8")
    return network
