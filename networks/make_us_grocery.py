"""Generate the example US grocery network ``networks/us-grocery.yaml`` and its tables.

Run ``python networks/make_us_grocery.py``; the output is deterministic (one
``numpy.random.default_rng(SEED)``) and committed. Nothing imports this script.

Design (a regional grocer in the style of a Midwest/South chain):

* Six suppliers, one per product category, in cities known for it (dairy:
  Madison WI, produce: Lakeland FL, dry grocery: Minneapolis MN, beverages:
  Plano TX, frozen: Omaha NE, household: Cincinnati OH).
* Four cross-dock hubs (Chicago, Kansas City, Dallas, Atlanta). Each supplier
  ships to its nearest hub only and every hub ships to every DC, so routes are
  supplier -> nearest hub -> DC. Dairy, dry grocery and household consolidate
  at Chicago, by far the busiest hub. Hub capacity is 2.5x the mean daily flow,
  because daily inflow is bursty (supplier processing times vary by order day):
  at 1.5x the hubs were full on 20-30% of normal days, at 2.5x Chicago on <1%.
* Five DCs; each sources every category from that category's supplier
  (``source`` by category), base-stock policy at a 95% service level.
* Stores: the most populous of the 500 largest US cities whose nearest DC is
  theirs (within 450 km), ``STORES_PER_DC`` per DC, at least 10 km apart.
  Demand is the shared per-SKU table scaled by sqrt(population / 250,000),
  clipped to [0.6, 2.5], with a Saturday peak (+30%); (s, S) policy at 95%.
* 240 SKUs: ~55 common grocery items with typical US shelf prices ($1-$25) and
  pack weights (0.1-12 kg), each in several variants (price, weight jitter).
  Demand per store is long-tailed: the item's base rate x rank^-0.8 for the
  variant rank x lognormal noise, clipped to 0.2-60 units/day. Unit cost =
  price x (1 - category gross margin, 25-35%). ABC segments by revenue (80/15/5%).
* Road km = 1.2 x great-circle (typical US circuity). Trucks run ~800 km/day:
  transit lognormal, mean max(1, km/800 + 0.5), sd 15%; DC -> store lanes 1 day.
  Truck cost: ATRI, "An Analysis of the Operational Costs of Trucking: 2025
  Update": $2.26/mile = $1.40/km per truckload, 26% fuel; at ~20,000 kg per
  truck that is $0.00007 per kg-km, plus a fixed charge per truck ($250
  supplier -> hub, $200 hub -> DC, $75 DC -> store multi-drop stop). The engine
  charges it once per lane per day (everything leaving a lane on a day travels
  together), shared by weight.
* Contingency: each supplier also has a direct backup lane to every DC
  (`backup: true`, a dedicated truck with no cross-dock consolidation, so a
  dearer fixed charge), never on planned routes, for scenarios that reroute
  around a closed hub. (Backup lanes through the second-nearest hub do not
  help: the small hubs' capacity cannot absorb Chicago's flow.)

Sources: city names, coordinates and populations from GeoNames (CC BY 4.0),
https://www.geonames.org, read from ``shared/data/geonames_us_cities``; only
the coordinates of the cities used are written to the YAML.
"""

import csv
import json
import math
from pathlib import Path

import numpy as np

SEED = 20250
HERE = Path(__file__).resolve().parent
CITIES = Path(__file__).resolve().parents[2] / "shared/data/geonames_us_cities/us_cities_top500.csv"
OUT_YAML, OUT_DIR = HERE / "us-grocery.yaml", HERE / "us-grocery"

CIRCUITY, KM_PER_DAY = 1.2, 800.0
PER_KG_KM = round(1.40 / 20_000, 6)       # ATRI 2025: $1.40/km per ~20 t truckload
FUEL_SHARE = 0.26                         # ATRI 2025: fuel share of operating cost
FIXED = {"supplier": 250, "hub": 200, "dc": 75}   # USD per truck (lane and day) leaving a node of this kind
BACKUP_FIXED = 450                        # USD per truck on a direct supplier -> DC contingency lane
STORES_PER_DC, STORE_RADIUS_KM = 10, 450
NOT_STORES = {"Meads KY", "New South Memphis TN"}   # GeoNames oddities (a small place, a part of Memphis)
HUB_CAPACITY_X = 2.5                      # hub capacity / mean daily flow
# Time to recover (days) after losing a node, for `twin stress`: a supplier's plant needs two weeks to
# restart or requalify; a cross-dock reopens in three days; a DC is back in a week.
TTR_DAYS = {"supplier": 14, "hub": 3, "dc": 7}
WEEKLY = [0.90, 0.85, 0.88, 0.95, 1.10, 1.30, 1.02]   # day 0 = Monday; Saturday peak; mean 1.0

# category: (supplier city, region, lead time mean/sd days, gross margin, SKUs,
#            items as (name, shelf price USD, kg per unit, base units/day per store))
CATALOGUE = {
    "dairy": ("Madison WI", "midwest", (1.5, 0.4), 0.25, 40, [
        ("milk-gallon", 3.79, 3.9, 30), ("milk-half-gallon", 2.49, 1.95, 5), ("eggs-dozen", 3.49, 0.7, 14),
        ("yogurt-cup", 1.19, 0.17, 6), ("greek-yogurt-32oz", 5.99, 0.95, 1.5), ("cheddar-8oz", 3.49, 0.23, 2.5),
        ("shredded-cheese-8oz", 3.99, 0.23, 3), ("butter-1lb", 4.99, 0.45, 2.5), ("sour-cream-16oz", 2.29, 0.45, 1.2),
        ("coffee-creamer-32oz", 4.49, 0.95, 2)]),
    "produce": ("Lakeland FL", "southeast", (1.5, 0.4), 0.35, 40, [
        ("bananas-bunch", 1.59, 1.1, 30), ("apples-3lb", 4.99, 1.4, 4), ("potatoes-5lb", 4.49, 2.3, 3),
        ("onions-3lb", 3.49, 1.4, 3), ("tomatoes-1lb", 2.49, 0.45, 4), ("lettuce-head", 1.99, 0.6, 3),
        ("strawberries-1lb", 3.99, 0.45, 3), ("avocado", 1.29, 0.2, 4), ("oranges-4lb", 5.99, 1.8, 2),
        ("salad-kit", 3.99, 0.35, 2)]),
    "dry": ("Minneapolis MN", "midwest", (3.0, 0.75), 0.28, 72, [
        ("bread-loaf", 2.99, 0.6, 25), ("cereal-box", 4.49, 0.5, 4), ("pasta-1lb", 1.49, 0.45, 4),
        ("rice-2lb", 2.99, 0.9, 2), ("canned-soup", 1.89, 0.3, 4), ("canned-vegetables", 1.09, 0.43, 4),
        ("peanut-butter", 3.49, 0.45, 2), ("chips-bag", 4.29, 0.28, 5), ("flour-5lb", 3.99, 2.3, 1),
        ("coffee-12oz", 8.99, 0.34, 2), ("olive-oil-1l", 9.99, 0.95, 0.8), ("snack-bars", 4.99, 0.25, 3)]),
    "beverages": ("Plano TX", "texas", (2.0, 0.5), 0.25, 32, [
        ("soda-12pk", 6.99, 4.6, 8), ("soda-2l", 2.49, 2.1, 5), ("water-24pk", 5.49, 12.0, 4),
        ("juice-59oz", 3.99, 1.8, 2), ("sports-drink-8pk", 6.49, 5.0, 1.5), ("sparkling-water-8pk", 5.49, 3.0, 1.5),
        ("energy-drink-4pk", 8.99, 2.0, 1), ("iced-tea-bottle", 1.99, 0.55, 2)]),
    "frozen": ("Omaha NE", "plains", (2.5, 0.6), 0.30, 28, [
        ("frozen-pizza", 5.99, 0.7, 3), ("ice-cream-1.5qt", 4.99, 1.0, 2.5), ("frozen-vegetables", 1.99, 0.45, 3),
        ("frozen-meal", 3.49, 0.3, 4), ("frozen-chicken-3lb", 9.99, 1.4, 1), ("frozen-waffles", 3.29, 0.35, 1),
        ("frozen-fries-2lb", 3.49, 0.9, 1.2)]),
    "household": ("Cincinnati OH", "ohio-valley", (3.0, 0.75), 0.32, 28, [
        ("paper-towels-6pk", 12.99, 2.0, 1.5), ("toilet-paper-12pk", 14.99, 2.8, 1.5),
        ("laundry-detergent", 13.99, 4.5, 0.8), ("dish-soap", 3.49, 0.65, 1), ("trash-bags", 9.99, 1.2, 0.6),
        ("shampoo", 6.99, 0.4, 0.6), ("toothpaste", 3.99, 0.15, 0.8), ("cleaner-spray", 4.49, 0.8, 0.5),
        ("diapers", 24.99, 3.0, 0.4)]),
}
HUBS = {"chicago": ("Chicago IL", "midwest"), "kansas-city": ("Kansas City MO", "plains"),
        "dallas": ("Dallas TX", "texas"), "atlanta": ("Atlanta GA", "southeast")}
DCS = {"joliet": ("Joliet IL", "midwest"), "columbus": ("Columbus OH", "ohio-valley"),
       "nashville": ("Nashville TN", "southeast"), "fort-worth": ("Fort Worth TX", "texas"),
       "denver": ("Denver CO", "mountain")}


def load_cities() -> dict[str, dict]:
    if not CITIES.exists():
        raise SystemExit(f"GeoNames city table not found: {CITIES}\n"
                         "(expected shared/data/geonames_us_cities/us_cities_top500.csv beside the repository)")
    with CITIES.open(newline="", encoding="utf-8") as f:
        return {f"{r['name']} {r['state']}": {"name": f"{r['name']} {r['state']}", "lat": float(r["latitude"]),
                "lon": float(r["longitude"]), "pop": int(r["population"])} for r in csv.DictReader(f)}


def road_km(a: dict, b: dict) -> float:
    """Great-circle distance times the circuity factor (at least 10 km)."""
    p1, p2 = math.radians(a["lat"]), math.radians(b["lat"])
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b["lon"] - a["lon"]) / 2) ** 2
    return max(10.0, round(CIRCUITY * 2 * 6371.0 * math.asin(math.sqrt(h))))


def make_skus(rng: np.random.Generator) -> list[dict]:
    skus = []
    for cat, (_, _, _, margin, count, items) in CATALOGUE.items():
        for v in range(count):
            name, price, kg, base = items[v % len(items)]
            rank = v // len(items)          # 0 = the item's flagship variant
            p = float(np.clip(price * rng.lognormal(0, 0.2), 0.79, 25.0))
            p = min(24.99, math.floor(p) + (0.49 if p % 1 < 0.5 else 0.99))
            m = float(np.clip(margin + rng.normal(0, 0.04), 0.15, 0.5))
            rate = float(np.clip(base / (rank + 1) ** 0.8 * rng.lognormal(0, 0.6), 0.2, 60.0))
            skus.append({"id": f"{cat}-{name}-{rank + 1:02d}", "unit_cost": round(p * (1 - m), 2), "price": p,
                         "weight_kg": round(float(np.clip(kg * rng.lognormal(0, 0.15), 0.1, 12.0)), 3),
                         "category": cat, "mean": round(rate, 2)})
    total, running = sum(s["price"] * s["mean"] for s in skus), 0.0
    for s in sorted(skus, key=lambda s: -s["price"] * s["mean"]):
        s["segment"] = "A" if running < 0.8 * total else "B" if running < 0.95 * total else "C"
        running += s["price"] * s["mean"]
    return skus


def pick_stores(cities: dict, dcs: dict) -> dict[str, list[dict]]:
    """The STORES_PER_DC most populous cities whose nearest DC (within the radius) is each DC."""
    stores: dict[str, list[dict]] = {d: [] for d in dcs}
    for c in sorted(cities.values(), key=lambda c: (-c["pop"], c["name"])):
        d = min(dcs, key=lambda d: road_km(c, dcs[d]))
        if (c["name"] not in NOT_STORES and road_km(c, dcs[d]) <= CIRCUITY * STORE_RADIUS_KM
                and len(stores[d]) < STORES_PER_DC and all(road_km(c, o) > 10 for o in stores[d])):
            stores[d].append(c)   # >10 km apart: skips GeoNames twins (Lexington / Lexington-Fayette KY)
    if any(len(found) < STORES_PER_DC for found in stores.values()):
        raise SystemExit(f"too few cities near some DC: { {d: len(f) for d, f in stores.items()} }")
    return stores


def slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-").replace("--", "-")


def flow(d: dict) -> str:
    """A one-line YAML flow mapping (strings JSON-quoted unless plainly safe)."""
    def val(v):
        if isinstance(v, dict):
            return flow(v)
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        if isinstance(v, str):
            return v if all(ch.isalnum() or ch in "-_./" for ch in v) else json.dumps(v)
        return repr(v) if "e" not in repr(v) else f"{v:.8f}".rstrip("0")   # YAML 1.1 reads 7e-05 as text
    return "{" + ", ".join(f"{k}: {val(v)}" for k, v in d.items()) + "}"


def lane(a: str, ca: dict, b: str, cb: dict, fixed: float, long_haul: bool, backup: bool = False) -> str:
    km = road_km(ca, cb)
    mean = round(max(1.0, km / KM_PER_DAY + 0.5), 2)
    transit = {"dist": "lognormal", "mean": mean, "sd": round(0.15 * mean, 2)} if long_haul else 1
    spec = {"from": a, "to": b, "mode": "truck", "distance_km": km, "transit_days": transit,
            "cost_per_shipment": fixed, "cost_per_kg_km": PER_KG_KM, "fuel_share": FUEL_SHARE}
    if backup:
        spec["backup"] = True
    return "  - " + flow(spec)


def main() -> None:
    rng = np.random.default_rng(SEED)
    cities = load_cities()
    if missing := [c for c, *_ in [*CATALOGUE.values(), *HUBS.values(), *DCS.values()] if c not in cities]:
        raise SystemExit(f"cities not in {CITIES.name}: {', '.join(missing)}")
    skus = make_skus(rng)
    sups = {cat: cities[spec[0]] for cat, spec in CATALOGUE.items()}
    hubs = {h: cities[c] for h, (c, _) in HUBS.items()}
    dcs = {d: cities[c] for d, (c, _) in DCS.items()}
    gateway = {cat: min(hubs, key=lambda h: road_km(sups[cat], hubs[h])) for cat in CATALOGUE}
    stores = pick_stores(cities, dcs)
    scale = {c["name"]: round(float(np.clip(math.sqrt(c["pop"] / 250_000), 0.6, 2.5)), 2)
             for found in stores.values() for c in found}
    # Mean daily units through each hub (every DC orders every category through its supplier's hub).
    per_cat = {cat: sum(s["mean"] for s in skus if s["category"] == cat) for cat in CATALOGUE}
    hub_units = {h: sum(per_cat[c] for c in CATALOGUE if gateway[c] == h) * sum(scale.values()) for h in hubs}

    OUT_DIR.mkdir(exist_ok=True)
    for name, cols in (("skus.csv", ["id", "unit_cost", "price", "weight_kg", "segment", "category"]),
                       ("demand.csv", ["sku", "mean"])):
        with (OUT_DIR / name).open("w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(cols)
            w.writerows([s["id" if c == "sku" else c] for c in cols] for s in skus)

    loc = lambda c: [round(c["lat"], 5), round(c["lon"], 5)]  # noqa: E731
    n_stores = sum(len(v) for v in stores.values())
    out = ["# Generated by networks/make_us_grocery.py -- do not edit by hand; change the script and rerun it.",
           "# City coordinates: GeoNames (CC BY 4.0), https://www.geonames.org",
           "# Truck costs: ATRI, An Analysis of the Operational Costs of Trucking, 2025 update",
           "# ($2.26/mile = $1.40/km per truckload, fuel 26%).",
           "name: us-grocery",
           f"description: A regional US grocer. {len(CATALOGUE)} category suppliers ship through {len(hubs)} "
           f"cross-dock hubs to {len(dcs)} DCs serving {n_stores} stores in real cities; {len(skus)} SKUs.",
           "holding_rate_per_year: 0.25", "skus: us-grocery/skus.csv", "", "nodes:",
           "  # Suppliers, one per category; each ships to its nearest hub."]
    for cat, (name, region, (lt, sd), *_) in CATALOGUE.items():
        out.append("  - " + flow({"id": f"sup-{cat}", "kind": "supplier", "city": name, "location": loc(sups[cat]),
                                  "region": region, "tags": [cat],
                                  "lead_time_days": {"dist": "gamma", "mean": lt, "sd": sd},
                                  "ttr_days": TTR_DAYS["supplier"]}))
    out.append(f"  # Cross-dock hubs; capacity = {HUB_CAPACITY_X} x mean daily flow.")
    for h, (name, region) in HUBS.items():
        cap = max(1000, int(math.ceil(HUB_CAPACITY_X * hub_units[h] / 1000.0) * 1000))
        out.append("  - " + flow({"id": f"hub-{h}", "kind": "hub", "city": name, "location": loc(hubs[h]),
                                  "region": region, "capacity_units_per_day": cap, "handling_days": 0.5,
                                  "ttr_days": TTR_DAYS["hub"]}))
    for d, (name, region) in DCS.items():
        out += [f"  # DC {name} and its stores.", f"  - id: dc-{d}", "    kind: dc", f"    city: {json.dumps(name)}",
                f"    location: {loc(dcs[d])}", f"    region: {region}",
                f"    source: {flow({cat: f'sup-{cat}' for cat in CATALOGUE})}",
                "    policy: {type: base_stock, service_level: 0.95}", f"    ttr_days: {TTR_DAYS['dc']}"]
        out += ["  - " + flow({"id": f"store-{slug(c['name'])}", "kind": "store", "city": c["name"], "location": loc(c),
                               "region": region, "source": f"dc-{d}",
                               "demand": {"dist": "poisson", "mean": "us-grocery/demand.csv",
                                          "scale": scale[c["name"]], "weekly": WEEKLY},
                               "policy": {"type": "sS", "service_level": 0.95}}) for c in stores[d]]
    lanes = [lane(f"sup-{c}", sups[c], f"hub-{gateway[c]}", hubs[gateway[c]], FIXED["supplier"], True)
             for c in CATALOGUE]
    lanes += ["  # Supplier -> DC direct: contingency lanes, used only to reroute."]
    lanes += [lane(f"sup-{c}", sups[c], f"dc-{d}", dcs[d], BACKUP_FIXED, True, backup=True)
              for c in CATALOGUE for d in DCS]
    lanes += ["  # Hub -> DC (truckload)."] + [lane(f"hub-{h}", hubs[h], f"dc-{d}", dcs[d], FIXED["hub"], True)
                                               for h in HUBS if h in gateway.values() for d in DCS]
    lanes += ["  # DC -> store (multi-drop routes, next-day delivery)."]
    lanes += [lane(f"dc-{d}", dcs[d], f"store-{slug(c['name'])}", c, FIXED["dc"], False) for d in DCS for c in stores[d]]
    out += ["", "lanes:", "  # Supplier -> nearest hub (truckload)."] + lanes
    OUT_YAML.write_text("\n".join(out) + "\n", encoding="utf-8")

    rates = np.array([s["mean"] for s in skus])
    print(f"wrote {OUT_YAML.name}: {len(sups)} suppliers, {len(hubs)} hubs, {len(dcs)} DCs, {n_stores} stores, "
          f"{sum(x.startswith('  - ') for x in lanes)} lanes, {len(skus)} SKUs (units/day/store: "
          f"{rates.min():.2f}-{rates.max():.2f}, median {np.median(rates):.2f}, mean {rates.mean():.2f})")
    print(f"demand {sum(rates) * sum(scale.values()):,.0f} units/day, "
          f"revenue ${sum(s['price'] * s['mean'] for s in skus) * sum(scale.values()):,.0f}/day; hubs (units/day):")
    for h in sorted(hubs, key=lambda h: -hub_units[h]):
        print(f"  hub-{h:12s} {hub_units[h]:>9,.0f}  ({', '.join(c for c in CATALOGUE if gateway[c] == h) or '-'})")


if __name__ == "__main__":
    main()
