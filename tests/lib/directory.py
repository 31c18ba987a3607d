"""Builders for directory entries (institutions, specialists) shared by the
directory and matching tests. Entries are made through the admin API; test
institutions default to Elko, NV, hundreds of km from any seeded center."""
import urllib.parse
import uuid

from lib.harness import api, expect, sql, token

ADMIN = token("admin", sub="directory-admin")


def q(params):
    return urllib.parse.urlencode(params)


def all_pages(path, tok=None, params=None, limit=50):
    """Every item of a list, following next_cursor; asserts no id repeats."""
    tok = tok or token("navigator")
    params = dict(params or {}, limit=limit)
    items, seen = [], set()
    while True:
        r = expect(api.get(f"{path}?{q(params)}", tok), 200).json
        for it in r["items"]:
            assert it["id"] not in seen, f"{it['id']} repeated across pages"
            seen.add(it["id"])
        items += r["items"]
        if not r["next_cursor"]:
            return items
        params["cursor"] = r["next_cursor"]


def institution_body(**overrides):
    body = {"name": f"Test Regional Cancer Institute {uuid.uuid4().hex[:8]}", "city": "Elko",
            "state": "NV", "nci_designation": None, "latitude": 40.832, "longitude": -115.763}
    body.update(overrides)
    return body


def new_institution(**overrides):
    return expect(api.post("/v1/providers", ADMIN, institution_body(**overrides)), 201).json


def payer_ids(*names):
    rows = sql("SELECT id, name FROM payers")
    ids = {name: pid for pid, name in rows}
    return [ids[n] for n in names]


def specialist_body(institution_id, **overrides):
    body = {"name": f"Test Reviewer {uuid.uuid4().hex[:6]}", "specialty": "medical_oncology",
            "institution_id": institution_id, "cancer_types": ["cup"],
            "languages": ["en", "es"], "telehealth": True, "accepting": True,
            "turnaround_days": 7, "capacity": 10,
            "payer_ids": payer_ids("Medicare (Original, Part B)")}
    body.update(overrides)
    return body


def set_open_cases(specialist_id, n):
    """Sets a specialist's count of open assignments the way the assignments
    module does (admins cannot write it)."""
    sql(f"UPDATE specialists SET open_cases = {int(n)} WHERE id = '{specialist_id}'")


def new_specialist(institution_id, open_cases=0, **overrides):
    s = expect(api.post("/v1/specialists", ADMIN, specialist_body(institution_id, **overrides)),
               201).json
    if open_cases:
        set_open_cases(s["id"], open_cases)
        s = expect(api.get(f"/v1/specialists/{s['id']}", ADMIN), 200).json
    return s
