"""Population registry (出租房屋与实有人口): what a county-sized registry costs to read and to write.

    python benchmarks/population.py [--houses 20000] [--residents 200000] [--runs 20] [--database-url URL]

A fresh SQLite database (or --database-url, an empty database) with the demo county and its
users, then ``--houses`` rental houses and ``--residents`` residents, inserted directly
(``bulk_create``, no actions: the point is the volume) with what the actions would have written:
encrypted names, ID numbers and phone numbers with their keyed digests (the fields' own
``pre_save``), ``area_path``, a tenant's house's area and address, and each house's tenant count; then
``ANALYZE`` (on PostgreSQL ``VACUUM`` first, what autovacuum does after a bulk load, so the
counts can read the covering index alone).

- The houses lie in the county's grids (two thirds) and villages; the responsible grid worker
  is the demo's grid worker of the house's town where there is one. One in fifty was removed.
- Half the residents are registered residents at their own address; 45 % are floating residents,
  two thirds of them tenants spread over the houses (so some houses are over-crowded), with a
  residence permit ending from a year ago to two years ahead, or none; 1 % are foreign
  nationals. One in twenty moved out.

Timed through the app's own code (p50 and max over ``--runs`` after one warm-up, each with its
database queries): the console's lists (first page, the permit filter, a look-up of one person
by ID number through the keyed digest, posted as the look-up box does), a house's page with its tenants, the API's lists, and
the writes a grid worker makes at the door: register a tenant in a house in their care (the
house's count moved in the same transaction) and move a resident out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀英", "建华", "海燕"]
REGIONS = ["411202", "520102", "340102", "360102", "510104", "430102", "331022", "331002"]
ORIGINS = {"411202": "河南省三门峡市", "520102": "贵州省贵阳市", "340102": "安徽省合肥市", "360102": "江西省南昌市",
           "510104": "四川省成都市", "430102": "湖南省长沙市", "331022": "浙江省三门县", "331002": "浙江省台州市"}
BATCH = 2000


def _id_number(serial: int, rng: random.Random, region: str = "") -> str:
    from fengqiao.core.personal import id_check_digit

    first17 = (f"{region or rng.choice(REGIONS)}{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
               f"{serial % 1000:03d}")
    return first17 + id_check_digit(first17)


def _insert_registry(n_houses: int, n_residents: int, *, now: dt.datetime, registrar, seed: int = 11) -> dict:
    """Insert the houses and the residents; return counts."""
    from django.db.models import Count, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from fengqiao.accounts.models import User
    from fengqiao.areas.models import Area, Level
    from fengqiao.core import roles
    from fengqiao.grid.models import town_path
    from fengqiao.population.models import RentalHouse, Resident

    rng = random.Random(seed)
    grids = list(Area.objects.filter(level=Level.GRID, is_active=True).only("id", "path", "name"))
    villages = list(Area.objects.filter(level=Level.VILLAGE, is_active=True).only("id", "path", "name"))
    workers = {}
    for u in User.objects.filter(role=roles.GRID_WORKER, is_active=True).select_related("area").order_by("username"):
        workers.setdefault(town_path(u.area.path), u)
    counts = {"houses": 0, "removed_houses": 0, "residents": 0, "tenants": 0, "floating": 0, "moved_out": 0}
    kinds = ["rooms"] * 5 + ["whole"] * 3 + ["dormitory", "shop_home"]
    today = now.date()

    houses = []
    for start in range(0, n_houses, BATCH):
        batch = []
        for i in range(start, min(n_houses, start + BATCH)):
            area = rng.choice(grids) if rng.random() < 2 / 3 else rng.choice(villages)
            kind = rng.choice(kinds)
            rooms = {"dormitory": rng.randint(5, 30), "shop_home": 1}.get(kind, rng.randint(1, 6))
            removed = rng.random() < 0.02
            batch.append(RentalHouse(
                address=f"{area.name}{i:05d}号", area_id=area.id, area_path=area.path, kind=kind, rooms=rooms,
                max_occupants=rooms * 2 if rng.random() < 0.8 else None,
                landlord_name=rng.choice(SURNAMES) + rng.choice(GIVEN), landlord_phone=f"139{rng.randint(0, 10**8 - 1):08d}",
                caretaker=workers.get(town_path(area.path)), registered_by=registrar,
                registered_at=now - dt.timedelta(days=rng.uniform(30, 1000)), is_active=not removed,
                removed_at=now if removed else None, removal_reason="不再出租" if removed else ""))
            counts["removed_houses"] += removed
        RentalHouse.objects.bulk_create(batch)
        houses.extend(h for h in batch if h.is_active)
        counts["houses"] += len(batch)

    for start in range(0, n_residents, BATCH):
        batch = []
        for i in range(start, min(n_residents, start + BATCH)):
            roll = rng.random()
            kind = "registered" if roll < 0.5 else "floating" if roll < 0.99 else "foreign"
            house = rng.choice(houses) if kind != "registered" and rng.random() < 2 / 3 else None
            active = rng.random() >= 0.05
            if house is not None:
                area_id, path, address = house.area_id, house.area_path, house.address
            else:
                area = rng.choice(grids) if rng.random() < 2 / 3 else rng.choice(villages)
                area_id, path, address = area.id, area.path, f"{area.name}{rng.randint(1, 500)}号"
            ident = _id_number(i, rng) if kind != "foreign" else ""
            arrived = today - dt.timedelta(days=rng.randint(1, 2000)) if kind != "registered" else None
            permit = (today + dt.timedelta(days=rng.randint(-365, 730))
                      if kind == "floating" and rng.random() < 0.6 else None)
            batch.append(Resident(
                name=rng.choice(SURNAMES) + rng.choice(GIVEN), id_number=ident, phone=f"13{rng.randint(0, 10**9 - 1):09d}",
                kind=kind, area_id=area_id, area_path=path, address=address, house=house,
                origin=ORIGINS.get(ident[:6], "越南"), reason="work" if kind != "registered" else "",
                arrived_on=arrived, permit_expires_on=permit, registered_by=registrar,
                registered_at=now - dt.timedelta(days=rng.uniform(1, 1000)), is_active=active,
                moved_out_at=None if active else now, move_out_reason="" if active else "left"))
            counts["floating"] += kind == "floating"
            counts["moved_out"] += not active
        # an ID number drawn twice among those in the registry would break the unique index
        Resident.objects.bulk_create(batch, ignore_conflicts=True)
        counts["residents"] += len(batch)
    # each house's count, from the tenants stored (a row dropped as a duplicate ID counts nothing)
    living = (Resident.objects.filter(house=OuterRef("pk"), is_active=True).order_by().values("house")
              .annotate(n=Count("id")).values("n"))
    RentalHouse.objects.update(tenants_count=Coalesce(Subquery(living), 0))
    counts["tenants"] = Resident.objects.filter(is_active=True, house__isnull=False).count()
    return counts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--houses", type=int, default=20_000)
    ap.add_argument("--residents", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--database-url", default="", help="an empty database (default: a fresh SQLite one)")
    args = ap.parse_args()
    from benchmarks._matters import demo_database

    demo_database("fq-bench-population-", args.database_url)
    from django.db import connection

    from benchmarks._report import Pages, timed_queries, write_section
    from fengqiao.accounts.models import User
    from fengqiao.areas.models import Area, Level
    from fengqiao.core.maintenance import analyze_database
    from fengqiao.events.sla import now as clock_now
    from fengqiao.population import actions
    from fengqiao.population.models import RentalHouse, Resident

    if RentalHouse.objects.exists() or Resident.objects.exists():
        raise SystemExit("the database already holds the population registry: give an empty one")
    users = {u.username: u for u in User.objects.select_related("area")}
    county_op, town, worker = users["county_op"], users["town_haiyou"], users["grid_xinhu1"]
    grids = Area.objects.filter(level=Level.GRID, is_active=True).count()
    villages = Area.objects.filter(level=Level.VILLAGE, is_active=True).count()

    t0 = time.perf_counter()
    counts = _insert_registry(args.houses, args.residents, now=clock_now(), registrar=county_op)
    if connection.vendor == "postgresql":
        # what autovacuum does after a bulk load (PostgreSQL 13+ vacuums after inserts): the
        # visibility map lets the counts read the covering index alone, as in a running county
        with connection.cursor() as cur:
            cur.execute("VACUUM population_resident, population_rentalhouse")
    analyze_database()
    load_s = time.perf_counter() - t0
    stored = Resident.objects.count()
    print(f"inserted {counts} ({stored:,} residents stored) in {load_s:.0f} s", flush=True)

    reach = {name: Resident.objects.restrict(u, "view").filter(is_active=True).count()
             for name, u in (("county", county_op), ("town", town), ("worker", worker))}
    crowded = RentalHouse.objects.crowded().count()
    # a house in the town with the most tenants, and a resident to look up by ID number
    shown = RentalHouse.objects.restrict(town, "view").filter(is_active=True).order_by("-tenants_count").first()
    sought = Resident.objects.restrict(town, "view").filter(is_active=True).exclude(id_number_digest="").first()
    mine = list(RentalHouse.objects.restrict(worker, "change").filter(is_active=True).order_by("id")[:args.runs + 1])
    if not mine or shown is None or sought is None:
        raise SystemExit("no house in the grid worker's or the town's reach: more --houses")

    pages = Pages((county_op, town))
    get = pages.get
    post = pages.post

    registered = []

    def register_tenant(run):
        # 天津 (120101): a region none of the inserted residents was drawn from, so no clash
        registered.append(actions.register_resident(
            by=worker, name="张伟", kind="floating", id_number=_id_number(run, random.Random(run), "120101"),
            phone="13912345678", house=mine[run % len(mine)], origin="天津市", reason="work"))

    def move_out(run):
        actions.move_out_resident(registered[run], by=worker, reason="left")  # the warm-up is run 0

    cases = [
        (f"console resident list, first page, county centre ({reach['county']:,} in reach)",
         get("county_op", "/population/residents/")),
        (f"console resident list, first page, town 海游 ({reach['town']:,})", get("town_haiyou", "/population/residents/")),
        ("console resident list `?permit=expired`, county centre",
         get("county_op", "/population/residents/", {"permit": "expired"})),
        ("console resident list, one person looked up by ID number (POST), county centre",
         post("county_op", "/population/residents/", {"lookup": sought.id_number})),
        (f"console house list, first page, county centre ({crowded:,} over-crowded)",
         get("county_op", "/population/houses/")),
        ("console house list `?crowded=1`, county centre", get("county_op", "/population/houses/", {"crowded": "1"})),
        (f"house page with its {shown.tenants_count} tenants, town", get("town_haiyou", f"/population/houses/{shown.pk}/")),
        ("API `/api/v1/residents/`, first page, county centre", get("county_op", "/api/v1/residents/")),
        ("API `/api/v1/rental-houses/`, first page, county centre", get("county_op", "/api/v1/rental-houses/")),
        ("`register_resident`, a tenant in a house in their care, grid worker", register_tenant),
    ]
    rows = []
    for label, fn in cases:
        p50, mx, queries = timed_queries(fn, args.runs)
        rows.append(f"| {label} | {p50:.1f} | {mx:.1f} | {queries} | {args.runs} |")
        print(rows[-1], flush=True)
    # the tenants just registered (a warm-up and ``runs``) move out, one each run
    p50, mx, queries = timed_queries(move_out, args.runs)
    rows.append(f"| `move_out_resident`, a tenant, grid worker | {p50:.1f} | {mx:.1f} | {queries} | {args.runs} |")
    print(rows[-1], flush=True)

    engine = connection.vendor
    body = (
        f"Database: {engine}; the demo county ({villages} villages, {grids:,} generated grids) with "
        f"{counts['houses']:,} rental houses ({counts['removed_houses']:,} removed, {crowded:,} over-crowded) and "
        f"{stored:,} residents ({counts['floating']:,} floating, {counts['tenants']:,} tenants in the registry, "
        f"{counts['moved_out']:,} moved out), inserted directly in {load_s:.0f} s (`bulk_create` with the fields' "
        "encryption and keyed digests, what the actions would have written, then `ANALYZE`, and on PostgreSQL "
        "`VACUUM` first, as autovacuum would). Pages through "
        "Django's test client (in-process, no network; the console pages include the menu's counts); the writes "
        "call the actions by the grid worker 心湖1 on houses in their care. "
        f"p50 and max of {args.runs} runs after one warm-up; queries per run.\n\n"
        "| what | p50 ms | max ms | queries | runs |\n|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )
    write_section(f"population-{engine}", f"Population registry: rental houses and residents ({engine})", body)


if __name__ == "__main__":
    main()
