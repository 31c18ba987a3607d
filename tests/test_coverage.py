"""Insurance coverage: the payer catalog and coverage checks on a case, over
HTTP against the seeded stub plans (sql/seed/dev/02_coverage.sql), the slow and
failing test payers, and every role that must be refused."""
import json
import signal
import threading
import time
import uuid

from lib.fixtures import case_body, new_sub
from lib.harness import (Server, api, count, expect, expect_problem, sql, sql_as_app, test, token,
                         wait_until)

PPO_ACTIVE = "BSH100200301"      # Blue Summit PPO 1500, active
PPO_INACTIVE = "BSH100200399"    # Blue Summit PPO 1500, ended last plan year
HMO_ACTIVE = "BSH200300401"      # Blue Summit HMO Select
EPO_PRIOR_AUTH = "NWH500600701"  # Northwind Choice EPO: prior auth, second opinion required
MEDICARE_MBI = "1EG4TE5MK73"

MD_ANDERSON = "The University of Texas MD Anderson Cancer Center"     # in the PPO network
HUNTSMAN = "Huntsman Cancer Institute (University of Utah)"           # in no seeded network but Medicare
FRED_HUTCH = "Fred Hutchinson/University of Washington/Seattle Children's Cancer Consortium"
MSK = "Memorial Sloan Kettering Cancer Center"


def q(s):
    return "'" + s.replace("'", "''") + "'"


def payer_id(name):
    return sql(f"SELECT id FROM payers WHERE name = {q(name)}")[0][0]


def institution_id(name):
    return sql(f"SELECT id FROM institutions WHERE name = {q(name)}")[0][0]


def make_specialist(institution_name, name="Dr. Test Specialist"):
    """Specialists are seeded by the providers module; tests make their own."""
    return sql(
        "INSERT INTO specialists (name, specialty, institution_id, turnaround_days, capacity)"
        f" VALUES ({q(name)}, 'medical_oncology', (SELECT id FROM institutions WHERE name ="
        f" {q(institution_name)}), 7, 10) RETURNING id")[0][0]


def make_case(patient_sub=None):
    """The one place fixture cases are made: through the cases API, as the
    patient who owns the case."""
    patient_sub = patient_sub or new_sub()
    r = expect(api.post("/v1/cases", token("patient", sub=patient_sub), case_body()), 201)
    return r.json["id"], patient_sub


def checks_url(case_id):
    return f"/v1/cases/{case_id}/coverage-checks"


def check(case_id, tok, payer, member_id, **extra):
    body = {"payer_id": payer_id(payer) if not _is_uuid(payer) else payer, "member_id": member_id}
    body.update(extra)
    return api.post(checks_url(case_id), tok, body)


def _is_uuid(s):
    try:
        uuid.UUID(s)
        return True
    except ValueError:
        return False


def stored_checks(case_id):
    return count("coverage_checks", f"case_id = '{case_id}'")


# ------------------------------------------------------------------ payers

@test
def payers_are_readable_by_every_role():
    for role in ("patient", "navigator", "specialist", "admin"):
        r = expect(api.get("/v1/payers?limit=200", token(role)), 200).json
        names = {p["name"]: p for p in r["items"]}
        assert "Blue Summit Health" in names and "Medicare (Original, Part B)" in names, names.keys()
        p = names["Medicare (Original, Part B)"]
        assert p["kind"] == "medicare" and p["adapter"] == "stub" and p["retired_at"] is None, p
        assert set(p) == {"id", "name", "kind", "adapter", "version", "retired_at", "created_at",
                          "updated_at"}, p
    expect_problem(api.get("/v1/payers"), 401)


@test
def payers_filter_by_kind_and_paginate():
    t = token("patient")
    r = expect(api.get("/v1/payers?kind=medicaid", t), 200).json
    assert r["items"] and all(p["kind"] == "medicaid" for p in r["items"]), r
    seen, cursor = [], None
    for _ in range(50):
        url = "/v1/payers?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = expect(api.get(url, t), 200).json
        assert len(page["items"]) <= 2
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    everything = expect(api.get("/v1/payers?limit=200", t), 200).json["items"]
    assert seen == [p["id"] for p in everything], "pages must walk the whole list in order"
    assert len(seen) >= 8
    expect_problem(api.get("/v1/payers?kind=insurer", t), 400)
    expect_problem(api.get("/v1/payers?include_retired=yes", t), 400)
    expect_problem(api.get("/v1/payers?cursor=bm90LWEtY3Vyc29y", t), 400)
    expect_problem(api.get("/v1/payers?limit=0", t), 400)
    expect_problem(api.get("/v1/payers?member_id=x", t), 400)


@test
def payer_by_id_has_an_etag_and_unknown_ids_are_404():
    pid = payer_id("Blue Summit Health")
    r = expect(api.get(f"/v1/payers/{pid}", token("specialist")), 200)
    assert r.json["id"] == pid and r.json["name"] == "Blue Summit Health"
    assert r.headers["etag"] == f'"{r.json["version"]}"', r.headers
    expect_problem(api.get(f"/v1/payers/{uuid.uuid4()}", token("patient")), 404)
    expect_problem(api.get("/v1/payers/not-a-uuid", token("patient")), 404)


@test
def admin_creates_a_payer_with_audit_and_event():
    name = f"Lakeshore Mutual {uuid.uuid4().hex[:6]}"
    body = {"name": name, "kind": "commercial", "adapter": "stub"}
    for role in ("patient", "navigator", "specialist"):
        expect_problem(api.post("/v1/payers", token(role), body), 403)
    assert count("payers", f"name = {q(name)}") == 0
    r = expect(api.post("/v1/payers", token("admin", sub="admin-payers"), body), 201)
    p = r.json
    assert p["name"] == name and p["kind"] == "commercial" and p["version"] == 1, p
    assert r.headers["location"] == f"/v1/payers/{p['id']}"
    assert r.headers["etag"] == '"1"'
    assert count("audit_events", f"action = 'payer.create' AND resource_id = '{p['id']}'"
                 " AND actor_sub = 'admin-payers' AND status = 201") == 1
    assert count("events", f"type = 'payer.created' AND subject_id = '{p['id']}'") == 1
    expect_problem(api.post("/v1/payers", token("admin"), body), 409)
    assert count("payers", f"name = {q(name)}") == 1
    # a retried create with the same Idempotency-Key gets the first answer
    body = {"name": name + " Two", "kind": "employer", "adapter": "none"}
    key = {"Idempotency-Key": "create-" + uuid.uuid4().hex}
    admin = token("admin", sub="admin-idem")
    first = expect(api.post("/v1/payers", admin, body, headers=key), 201).json
    again = expect(api.post("/v1/payers", admin, body, headers=key), 201)
    assert again.json["id"] == first["id"] and again.headers.get("idempotent-replayed") == "true"
    assert count("payers", f"name = {q(body['name'])}") == 1


@test
def payer_creation_validates_every_field():
    admin = token("admin")
    before = count("payers")
    cases = [
        ({"kind": "commercial", "adapter": "stub"}, "name"),
        ({"name": "X Health", "kind": "insurer", "adapter": "stub"}, "kind"),
        ({"name": "X Health", "kind": "commercial", "adapter": "x12-nowhere"}, "adapter"),
        ({"name": " X Health", "kind": "commercial", "adapter": "stub"}, "name"),
        ({"name": "", "kind": "commercial", "adapter": "stub"}, "name"),
        ({"name": "X" * 121, "kind": "commercial", "adapter": "stub"}, "name"),
        ({"name": "X Health", "kind": "commercial", "adapter": "stub", "id": str(uuid.uuid4())}, "id"),
        ({"name": "X Health", "kind": "commercial", "adapter": "stub", "plans": []}, "plans"),
        ({"name": "X\nHealth", "kind": "commercial", "adapter": "stub"}, "name"),
    ]
    for body, field in cases:
        p = expect_problem(api.post("/v1/payers", admin, body), 400, str(body))
        assert field in [e["field"] for e in p.get("errors", [])], (body, p)
    expect_problem(api.post("/v1/payers", admin, body=b"[1]", content_type="application/json"), 400)
    expect_problem(api.post("/v1/payers", admin, body=b"name=x", content_type="text/plain"), 415)
    assert count("payers") == before


@test
def admin_updates_a_payer_with_if_match():
    admin = token("admin")
    p = expect(api.post("/v1/payers", admin, {"name": f"Pinecrest {uuid.uuid4().hex[:6]}",
                                               "kind": "employer", "adapter": "stub"}), 201).json
    url = f"/v1/payers/{p['id']}"
    expect_problem(api.patch(url, token("navigator"), {"kind": "commercial"},
                             headers={"If-Match": '"1"'}), 403)
    expect_problem(api.patch(url, admin, {"kind": "commercial"}), 428)
    expect_problem(api.patch(url, admin, {"kind": "commercial"}, headers={"If-Match": '"7"'}), 412)
    expect_problem(api.patch(url, admin, {}, headers={"If-Match": '"1"'}), 400)
    expect_problem(api.patch(url, admin, {"adapter": "nope"}, headers={"If-Match": '"1"'}), 400)
    expect_problem(api.patch(url, admin, {"version": 5}, headers={"If-Match": '"1"'}), 400)
    expect_problem(api.patch(url, admin, {"name": None}, headers={"If-Match": '"1"'}), 400)
    expect_problem(api.patch(f"/v1/payers/{uuid.uuid4()}", admin, {"kind": "commercial"},
                             headers={"If-Match": '"1"'}), 404)
    assert sql(f"SELECT kind, version FROM payers WHERE id = '{p['id']}'") == [["employer", "1"]]
    r = expect(api.patch(url, admin, {"kind": "commercial", "adapter": "failing"},
                         headers={"If-Match": '"1"'}, content_type="application/merge-patch+json"),
               200)
    assert r.json["kind"] == "commercial" and r.json["adapter"] == "failing" and r.json["version"] == 2
    assert r.headers["etag"] == '"2"'
    assert count("audit_events", f"action = 'payer.update' AND resource_id = '{p['id']}'") == 1
    assert count("events", f"type = 'payer.updated' AND subject_id = '{p['id']}'") == 1
    expect_problem(api.patch(url, admin, {"kind": "medicaid"}, headers={"If-Match": '"1"'}), 412)


@test
def retiring_a_payer_hides_it_and_stops_new_checks():
    admin = token("admin")
    name = f"Old Harbor Health {uuid.uuid4().hex[:6]}"
    p = expect(api.post("/v1/payers", admin, {"name": name, "kind": "commercial",
                                               "adapter": "stub"}), 201).json
    url = f"/v1/payers/{p['id']}"
    expect_problem(api.delete(url, token("patient"), headers={"If-Match": '"1"'}), 403)
    expect_problem(api.delete(url, admin), 428)
    r = expect(api.delete(url, admin, headers={"If-Match": '"1"'}), 200)
    assert r.json["retired_at"] and r.json["version"] == 2
    assert count("events", f"type = 'payer.retired' AND subject_id = '{p['id']}'") == 1
    expect_problem(api.delete(url, admin, headers={"If-Match": '"2"'}), 409)
    expect_problem(api.patch(url, admin, {"kind": "employer"}, headers={"If-Match": '"2"'}), 409)
    listed = [x["id"] for x in expect(api.get("/v1/payers?limit=200", admin), 200).json["items"]]
    assert p["id"] not in listed
    listed = [x["id"] for x in
              expect(api.get("/v1/payers?limit=200&include_retired=true", admin), 200).json["items"]]
    assert p["id"] in listed
    expect(api.get(url, token("patient")), 200)
    case_id, sub = make_case()
    r = check(case_id, token("patient", sub=sub), p["id"], PPO_ACTIVE)
    body = expect_problem(r, 400)
    assert body["errors"][0]["field"] == "payer_id", body
    assert stored_checks(case_id) == 0


# ------------------------------------------------------------------ coverage checks

@test
def active_ppo_member_with_an_in_network_specialist():
    case_id, sub = make_case()
    spec = make_specialist(MD_ANDERSON)
    before_audit = count("audit_events", f"case_id = '{case_id}' AND action = 'coverage_check.create'")
    r = expect(check(case_id, token("patient", sub=sub), "Blue Summit Health", PPO_ACTIVE,
                     specialist_id=spec), 201)
    c = r.json
    assert r.headers["location"] == f"/v1/cases/{case_id}/coverage-checks/{c['id']}"
    assert c["outcome"] == "active", c
    assert c["case_id"] == case_id and c["member_id"] == PPO_ACTIVE
    assert c["payer"] == {"id": payer_id("Blue Summit Health"), "name": "Blue Summit Health",
                          "kind": "commercial"}
    assert c["provider"] == {"specialist_id": spec, "institution_id": institution_id(MD_ANDERSON)}
    assert c["plan_name"] == "Blue Summit PPO 1500" and c["insurance_type"] == "ppo"
    assert c["group_number"] == "GRP-20417" and c["group_name"] == "Lakeside Software Inc."
    year = time.gmtime().tm_year
    assert c["coverage_period"] == {"start": f"{year}-01-01", "end": f"{year}-12-31"}, c
    so = c["benefits"]["second_opinion"]
    assert so == {"covered": True, "in_network": True, "prior_authorization_required": False,
                  "referral_required": False, "copay_cents": 4000, "coinsurance_percent": 0,
                  "deductible_remaining_cents": 85000, "out_of_pocket_remaining_cents": 420000}, so
    th = c["benefits"]["telehealth"]
    assert th["covered"] is True and th["in_network"] is True and th["copay_cents"] == 2500, th
    assert c["second_opinion_required_before_treatment"] is False
    assert c["international_coverage"] is True
    assert any("deductible" in m for m in c["messages"]), c["messages"]
    assert c["adapter"] == "stub" and c["checked_by_role"] == "patient"
    assert "raw" not in c, "raw adapter payload is for admins only"
    # stored, audited and announced in the same transaction
    row = sql(f"SELECT outcome, member_id, in_network, plan_id IS NOT NULL, checked_by_sub"
              f" FROM coverage_checks WHERE id = '{c['id']}'")
    assert row == [["active", PPO_ACTIVE, "t", "t", sub]], row
    assert count("audit_events", f"case_id = '{case_id}' AND action = 'coverage_check.create'"
                 f" AND resource_id = '{c['id']}' AND actor_sub = {q(sub)} AND status = 201") \
        == before_audit + 1
    assert count("events", f"type = 'coverage.checked' AND case_id = '{case_id}'"
                 f" AND subject_id = '{c['id']}'") == 1


@test
def active_ppo_member_with_an_out_of_network_specialist():
    case_id, sub = make_case()
    spec = make_specialist(HUNTSMAN)
    c = expect(check(case_id, token("navigator"), "Blue Summit Health", PPO_ACTIVE,
                     specialist_id=spec), 201).json
    assert c["outcome"] == "active"
    so = c["benefits"]["second_opinion"]
    assert so == {"covered": True, "in_network": False, "prior_authorization_required": False,
                  "referral_required": False, "copay_cents": None, "coinsurance_percent": 40,
                  "deductible_remaining_cents": 300000, "out_of_pocket_remaining_cents": 900000}, so
    assert c["benefits"]["telehealth"]["in_network"] is False
    assert c["checked_by_role"] == "navigator"
    assert sql(f"SELECT in_network FROM coverage_checks WHERE id = '{c['id']}'") == [["f"]]


@test
def provider_can_be_an_institution_or_omitted():
    case_id, sub = make_case()
    t = token("patient", sub=sub)
    inst = institution_id(MD_ANDERSON)
    c = expect(check(case_id, t, "Blue Summit Health", PPO_ACTIVE, institution_id=inst), 201).json
    assert c["provider"] == {"specialist_id": None, "institution_id": inst}
    assert c["benefits"]["second_opinion"]["in_network"] is True
    # no provider: in-network benefits, network status unknown
    c = expect(check(case_id, t, "Blue Summit Health", PPO_ACTIVE.lower()), 201).json
    assert c["provider"] is None and c["member_id"] == PPO_ACTIVE, c
    assert c["benefits"]["second_opinion"]["in_network"] is None
    assert c["benefits"]["second_opinion"]["copay_cents"] == 4000
    assert sql(f"SELECT in_network IS NULL FROM coverage_checks WHERE id = '{c['id']}'") == [["t"]]


@test
def inactive_member_has_plan_but_no_benefits():
    case_id, sub = make_case()
    c = expect(check(case_id, token("patient", sub=sub), "Blue Summit Health", PPO_INACTIVE), 201).json
    last = time.gmtime().tm_year - 1
    assert c["outcome"] == "inactive", c
    assert c["plan_name"] == "Blue Summit PPO 1500"
    assert c["coverage_period"] == {"start": f"{last}-01-01", "end": f"{last}-12-31"}
    assert c["benefits"] is None
    assert stored_checks(case_id) == 1


@test
def unknown_member_is_member_not_found():
    case_id, sub = make_case()
    c = expect(check(case_id, token("patient", sub=sub), "Blue Summit Health", "BSH999999999"), 201).json
    assert c["outcome"] == "member_not_found", c
    for k in ("plan_name", "group_number", "insurance_type", "coverage_period", "benefits",
              "second_opinion_required_before_treatment", "international_coverage"):
        assert c[k] is None, (k, c)
    assert c["messages"], c
    # a member of one payer is unknown to another
    c = expect(check(case_id, token("patient", sub=sub), "Northwind Health Plans", PPO_ACTIVE), 201).json
    assert c["outcome"] == "member_not_found"


@test
def plan_requiring_prior_auth_and_a_second_opinion():
    case_id, sub = make_case()
    spec = make_specialist(FRED_HUTCH)
    c = expect(check(case_id, token("patient", sub=sub), "Northwind Health Plans", EPO_PRIOR_AUTH,
                     specialist_id=spec), 201).json
    assert c["outcome"] == "active" and c["insurance_type"] == "epo", c
    so = c["benefits"]["second_opinion"]
    assert so["covered"] is True and so["in_network"] is True
    assert so["prior_authorization_required"] is True and so["coinsurance_percent"] == 10, so
    assert c["benefits"]["telehealth"]["prior_authorization_required"] is True
    assert c["second_opinion_required_before_treatment"] is True
    assert any("Prior authorization" in m for m in c["messages"]), c["messages"]


@test
def hmo_out_of_network_is_not_covered_and_needs_referral_in_network():
    case_id, sub = make_case()
    t = token("patient", sub=sub)
    c = expect(check(case_id, t, "Blue Summit Health", HMO_ACTIVE,
                     institution_id=institution_id(MD_ANDERSON)), 201).json
    so = c["benefits"]["second_opinion"]
    assert so["covered"] is False and so["in_network"] is False, so
    assert so["copay_cents"] is None and so["deductible_remaining_cents"] is None
    c = expect(check(case_id, t, "Blue Summit Health", HMO_ACTIVE,
                     institution_id=institution_id(MSK)), 201).json
    so = c["benefits"]["second_opinion"]
    assert so["covered"] is True and so["in_network"] is True and so["referral_required"] is True


@test
def medicare_pays_twenty_percent_and_not_abroad():
    case_id, sub = make_case()
    c = expect(check(case_id, token("patient", sub=sub), "Medicare (Original, Part B)", MEDICARE_MBI,
                     institution_id=institution_id(HUNTSMAN)), 201).json
    assert c["outcome"] == "active" and c["insurance_type"] == "medicare_part_b"
    assert c["coverage_period"]["end"] is None
    so = c["benefits"]["second_opinion"]
    assert so["in_network"] is True and so["coinsurance_percent"] == 20 and so["copay_cents"] is None
    assert so["out_of_pocket_remaining_cents"] is None  # Original Medicare has no cap
    assert c["international_coverage"] is False


@test
def slow_payer_answers_payer_unavailable_within_its_timeout():
    case_id, sub = make_case()
    t0 = time.monotonic()
    r = check(case_id, token("patient", sub=sub), "Test Payer: Slow Clearinghouse", PPO_ACTIVE)
    elapsed = time.monotonic() - t0
    c = expect(r, 201).json
    assert c["outcome"] == "payer_unavailable", c
    # It gives up at its 1 s time-out, well before the slow payer (3 s) would answer; the
    # upper bound leaves room for a loaded machine without letting the request wait it out.
    assert 0.9 <= elapsed < 2.9, f"took {elapsed:.2f}s; the slow adapter's time-out is 1 s"
    assert 900 <= c["duration_ms"] < 2900, c["duration_ms"]
    assert c["benefits"] is None and c["plan_name"] is None
    assert any("did not answer" in m for m in c["messages"]), c["messages"]
    row = sql(f"SELECT outcome, adapter FROM coverage_checks WHERE id = '{c['id']}'")
    assert row == [["payer_unavailable", "slow"]]
    assert count("events", f"type = 'coverage.checked' AND subject_id = '{c['id']}'") == 1


@test
def failing_payer_answers_payer_unavailable_at_once():
    case_id, sub = make_case()
    t0 = time.monotonic()
    r = check(case_id, token("admin"), "Test Payer: Outage", PPO_ACTIVE)
    elapsed = time.monotonic() - t0
    c = expect(r, 201).json
    assert c["outcome"] == "payer_unavailable", c
    assert elapsed < 0.9, elapsed  # did not wait for a time-out (the shortest is 1 s)
    assert c["raw"] == {"adapter": "failing",
                        "simulated": "connection refused by the payer's eligibility service"}, c
    assert stored_checks(case_id) == 1


@test
def payer_without_a_usable_adapter_is_an_error_outcome():
    admin = token("admin")
    p = expect(api.post("/v1/payers", admin, {"name": f"Paper Claims Co {uuid.uuid4().hex[:6]}",
                                               "kind": "commercial", "adapter": "none"}), 201).json
    case_id, sub = make_case()
    c = expect(check(case_id, token("patient", sub=sub), p["id"], "PC-1"), 201).json
    assert c["outcome"] == "error" and c["adapter"] == "none", c
    assert any("call the number" in m for m in c["messages"])
    # an adapter name no longer installed (e.g. removed in a deploy)
    sql(f"UPDATE payers SET adapter = 'x12-acme-retired' WHERE id = '{p['id']}'")
    c = expect(check(case_id, token("patient", sub=sub), p["id"], "PC-1"), 201).json
    assert c["outcome"] == "error" and c["adapter"] == "x12-acme-retired", c
    assert stored_checks(case_id) == 2


@test
def raw_adapter_payload_is_for_admins_only():
    case_id, sub = make_case()
    created = expect(check(case_id, token("admin"), "Blue Summit Health", PPO_ACTIVE,
                           institution_id=institution_id(MD_ANDERSON)), 201).json
    raw = created["raw"]
    assert raw["adapter"] == "stub" and raw["member"]["member_id"] == PPO_ACTIVE, raw
    assert raw["network"]["in_network"] is True and len(raw["benefit_rules"]) == 4, raw
    url = f"{checks_url(case_id)}/{created['id']}"
    assert "raw" in expect(api.get(url, token("admin")), 200).json
    for tok in (token("navigator"), token("patient", sub=sub)):
        one = expect(api.get(url, tok), 200).json
        assert "raw" not in one
        listed = expect(api.get(checks_url(case_id), tok), 200).json["items"]
        assert listed and all("raw" not in i for i in listed)
    listed = expect(api.get(checks_url(case_id), token("admin")), 200).json["items"]
    assert listed[0]["raw"] == raw


@test
def checks_list_newest_first_with_cursor_and_audit():
    case_id, sub = make_case()
    t = token("patient", sub=sub)
    ids = [expect(check(case_id, t, "Blue Summit Health", m), 201).json["id"]
           for m in (PPO_ACTIVE, PPO_INACTIVE, "BSH000000000")]
    before = count("audit_events", f"case_id = '{case_id}' AND action = 'coverage_check.list'")
    page = expect(api.get(checks_url(case_id) + "?limit=2", t), 200).json
    assert [i["id"] for i in page["items"]] == ids[::-1][:2] and page["next_cursor"]
    rest = expect(api.get(checks_url(case_id) + "?limit=2&cursor=" + page["next_cursor"], t), 200).json
    assert [i["id"] for i in rest["items"]] == [ids[0]] and rest["next_cursor"] is None
    assert count("audit_events", f"case_id = '{case_id}' AND action = 'coverage_check.list'"
                 " AND outcome = 'success'") == before + 2
    one = expect(api.get(f"{checks_url(case_id)}/{ids[1]}", t), 200).json
    assert one["outcome"] == "inactive"
    assert count("audit_events", f"action = 'coverage_check.read' AND resource_id = '{ids[1]}'") == 1
    expect_problem(api.get(checks_url(case_id) + "?cursor=abc", t), 400)
    expect_problem(api.get(checks_url(case_id) + "?limit=101", t), 400)
    # a check id under another case is not found
    other, other_sub = make_case(sub)
    expect_problem(api.get(f"{checks_url(other)}/{ids[1]}", t), 404)
    expect_problem(api.get(f"{checks_url(case_id)}/{uuid.uuid4()}", t), 404)
    expect_problem(api.get(f"{checks_url(case_id)}/nope", t), 404)


@test
def every_refused_role_and_caller_stores_nothing():
    case_id, sub = make_case()
    # a specialist assigned to the case still may not touch insurance
    spec = make_specialist(MD_ANDERSON)
    sql("INSERT INTO assignments (case_id, specialist_id, status, due_at, created_by_sub)"
        f" VALUES ('{case_id}', '{spec}', 'accepted', now() + interval '7 days', 'nav-1')")
    spec_token = token("specialist", specialist_id=spec)
    ok = expect(check(case_id, token("navigator"), "Blue Summit Health", PPO_ACTIVE), 201).json
    before_denied = count("audit_events", f"case_id = '{case_id}' AND outcome = 'denied'")
    expect_problem(check(case_id, spec_token, "Blue Summit Health", PPO_ACTIVE), 403)
    expect_problem(api.get(checks_url(case_id), spec_token), 403)
    expect_problem(api.get(f"{checks_url(case_id)}/{ok['id']}", spec_token), 403)
    assert count("audit_events", f"case_id = '{case_id}' AND outcome = 'denied'"
                 " AND actor_role = 'specialist' AND status = 403") == before_denied + 3
    # another patient: the case does not exist for them
    stranger = token("patient")
    p = expect_problem(check(case_id, stranger, "Blue Summit Health", PPO_ACTIVE), 404)
    assert "case" in p["detail"]
    expect_problem(api.get(checks_url(case_id), stranger), 404)
    expect_problem(api.get(f"{checks_url(case_id)}/{ok['id']}", stranger), 404)
    assert count("audit_events", f"case_id = '{case_id}' AND outcome = 'not_found'") >= 3
    # no token
    expect_problem(api.post(checks_url(case_id), None, {"payer_id": payer_id("Blue Summit Health"),
                                                        "member_id": PPO_ACTIVE}), 401)
    expect_problem(api.get(checks_url(case_id)), 401)
    assert stored_checks(case_id) == 1


@test
def bad_check_requests_are_refused_and_store_nothing():
    case_id, sub = make_case()
    t = token("patient", sub=sub)
    bsh = payer_id("Blue Summit Health")
    spec = make_specialist(MD_ANDERSON)
    retired_spec = make_specialist(MD_ANDERSON)
    sql(f"UPDATE specialists SET retired_at = now() WHERE id = '{retired_spec}'")
    bad = [
        ({"member_id": PPO_ACTIVE}, "payer_id"),
        ({"payer_id": "blue", "member_id": PPO_ACTIVE}, "payer_id"),
        ({"payer_id": str(uuid.uuid4()), "member_id": PPO_ACTIVE}, "payer_id"),
        ({"payer_id": payer_id("Self-pay"), "member_id": PPO_ACTIVE}, "payer_id"),
        ({"payer_id": bsh}, "member_id"),
        ({"payer_id": bsh, "member_id": ""}, "member_id"),
        ({"payer_id": bsh, "member_id": "BSH 1002"}, "member_id"),
        ({"payer_id": bsh, "member_id": "BSH'; DROP"}, "member_id"),
        ({"payer_id": bsh, "member_id": "-BSH1"}, "member_id"),
        ({"payer_id": bsh, "member_id": "B" * 81}, "member_id"),
        ({"payer_id": bsh, "member_id": 100200301}, "member_id"),
        ({"payer_id": bsh, "member_id": PPO_ACTIVE, "specialist_id": str(uuid.uuid4())}, "specialist_id"),
        ({"payer_id": bsh, "member_id": PPO_ACTIVE, "specialist_id": retired_spec}, "specialist_id"),
        ({"payer_id": bsh, "member_id": PPO_ACTIVE, "institution_id": str(uuid.uuid4())}, "institution_id"),
        ({"payer_id": bsh, "member_id": PPO_ACTIVE, "specialist_id": spec,
          "institution_id": institution_id(MSK)}, "institution_id"),
        ({"payer_id": bsh, "member_id": PPO_ACTIVE, "outcome": "active"}, "outcome"),
        ({"payer_id": bsh, "member_id": PPO_ACTIVE, "provider_npi": "1234567890"}, "provider_npi"),
    ]
    for body, field in bad:
        p = expect_problem(api.post(checks_url(case_id), t, body), 400, json.dumps(body))
        assert field in [e["field"] for e in p.get("errors", [])], (body, p)
    expect_problem(api.post(checks_url(case_id), t, body=b'{"payer_id": 1, "payer_id": 2}',
                            content_type="application/json"), 400)
    expect_problem(api.post(checks_url(case_id), t, body=b"payer=1", content_type="text/plain"), 415)
    expect_problem(api.post(checks_url(case_id), t), 400)
    expect_problem(check(str(uuid.uuid4()), token("navigator"), "Blue Summit Health", PPO_ACTIVE), 404)
    expect_problem(api.post("/v1/cases/not-a-case/coverage-checks", t,
                            {"payer_id": bsh, "member_id": PPO_ACTIVE}), 404)
    assert stored_checks(case_id) == 0
    assert count("audit_events", f"case_id = '{case_id}' AND action = 'request.refused'"
                 " AND outcome = 'invalid'") >= len(bad)


@test
def closed_and_withdrawn_cases_take_no_new_checks_but_keep_old_ones():
    for status in ("closed", "withdrawn"):
        case_id, sub = make_case()
        t = token("patient", sub=sub)
        expect(check(case_id, t, "Blue Summit Health", PPO_ACTIVE), 201)
        if status == "closed":  # only a case with an opinion closes; the opinion is out of scope
            sql(f"UPDATE cases SET status = 'opinion_ready' WHERE id = '{case_id}'")
            expect(api.post(f"/v1/cases/{case_id}/close", token("navigator")), 200)
        else:
            expect(api.post(f"/v1/cases/{case_id}/withdraw", t), 200)
        expect_problem(check(case_id, t, "Blue Summit Health", PPO_ACTIVE), 409)
        assert stored_checks(case_id) == 1
        assert len(expect(api.get(checks_url(case_id), t), 200).json["items"]) == 1


@test
def checks_are_insert_only_for_the_service_role():
    rc, err = sql_as_app("UPDATE coverage_checks SET outcome = 'active'")
    assert rc != 0 and "permission denied" in err, err
    rc, err = sql_as_app("DELETE FROM coverage_checks")
    assert rc != 0 and "permission denied" in err, err
    rc, err = sql_as_app("UPDATE coverage_members SET status = 'active'")
    assert rc != 0 and "permission denied" in err, err


@test
def matching_can_ask_network_status_of_the_latest_active_check_in_one_join():
    case_id, sub = make_case()
    t = token("patient", sub=sub)
    expect(check(case_id, t, "Blue Summit Health", PPO_ACTIVE), 201)      # PPO: MD Anderson in
    expect(check(case_id, t, "Blue Summit Health", "BSH999999999"), 201)  # later, not active
    in_net = sql(
        "SELECT i.name, pn.plan_id IS NOT NULL FROM institutions i"
        f" LEFT JOIN case_latest_active_coverage lc ON lc.case_id = '{case_id}'"
        " LEFT JOIN coverage_plan_networks pn ON pn.plan_id = lc.plan_id AND pn.institution_id = i.id"
        f" WHERE i.name IN ({q(MD_ANDERSON)}, {q(HUNTSMAN)}) ORDER BY i.name")
    assert in_net == [[HUNTSMAN, "f"], [MD_ANDERSON, "t"]], in_net
    # a newer active check with another plan takes over
    expect(check(case_id, t, "Blue Summit Health", HMO_ACTIVE), 201)
    plan = sql(f"SELECT p.code FROM case_latest_active_coverage lc JOIN coverage_plans p"
               f" ON p.id = lc.plan_id WHERE lc.case_id = '{case_id}'")
    assert plan == [["BSH-HMO-SELECT"]], plan


@test
def slow_payer_holds_no_connection_and_shutdown_waits_for_it():
    """With one pooled connection, other requests proceed while a slow payer
    is asked; a stop signal during the inquiry still exits cleanly. (HTTP
    threads to spare: by default there is one per pooled connection, and the
    slow inquiry holds its thread, though not the connection.)"""
    case_id, sub = make_case()
    srv = Server(DB_POOL_SIZE=1, HTTP_THREADS=4).start()
    try:
        result = {}

        def slow():
            result["r"] = srv.api.post(checks_url(case_id), token("patient", sub=sub),
                                       {"payer_id": payer_id("Test Payer: Slow Clearinghouse"),
                                        "member_id": PPO_ACTIVE})
        idle_threads = srv.threads()
        th = threading.Thread(target=slow)
        th.start()
        # The inquiry runs in a thread of its own, started after the request
        # gave its connection back (coverage_checks_create, coverage_run):
        # while that thread lives, the slow inquiry is waiting on its payer.
        wait_until(lambda: srv.threads() > idle_threads or "r" in result, 10,
                   "the slow inquiry to start asking its payer")
        assert "r" not in result, f"the slow inquiry was answered at once: {result}"
        expect(srv.api.get("/v1/payers?limit=1", token("patient")), 200)
        fast = expect(srv.api.post(checks_url(case_id), token("patient", sub=sub),
                                   {"payer_id": payer_id("Blue Summit Health"),
                                    "member_id": PPO_ACTIVE}), 201).json
        assert fast["outcome"] == "active"
        # A held connection would make these wait until the slow inquiry gave up on its
        # payer and answered; so they must be done while it is still unanswered. (An
        # ordering, not a stopwatch: a loaded machine slows both sides alike.)
        assert "r" not in result, "requests waited for the slow payer's connection"
        th.join(5)
        assert expect(result["r"], 201).json["outcome"] == "payer_unavailable"
        # stop while the abandoned slow inquiry is still sleeping in the background
        expect(srv.api.post(checks_url(case_id), token("patient", sub=sub),
                            {"payer_id": payer_id("Test Payer: Slow Clearinghouse"),
                             "member_id": PPO_ACTIVE}), 201)
    finally:
        t0 = time.monotonic()
        rc = srv.stop(signal.SIGTERM)
    assert rc == 0, srv.output()[-2000:]
    assert time.monotonic() - t0 < 5, "shutdown waited for a sleeping adapter"
    assert srv.sanitizer_report() is None, srv.sanitizer_report()
    assert stored_checks(case_id) == 3


@test
def responses_have_exactly_the_members_the_spec_documents():
    import os
    import yaml
    from lib.harness import ROOT
    with open(os.path.join(ROOT, "api", "paths", "coverage.yaml")) as f:
        spec = yaml.safe_load(f)
    case_id, sub = make_case()
    c = expect(check(case_id, token("admin"), "Blue Summit Health", PPO_ACTIVE,
                     institution_id=institution_id(MD_ANDERSON)), 201).json
    assert set(c) == set(spec["CoverageCheck"]["properties"]), set(c) ^ set(spec["CoverageCheck"]["properties"])
    assert set(c) - {"raw"} == set(spec["CoverageCheck"]["required"])
    for b in c["benefits"].values():
        assert list(b) == spec["Benefit"]["required"], list(b)
    assert c["outcome"] in spec["CoverageCheck"]["properties"]["outcome"]["enum"]
    p = expect(api.get(f"/v1/payers/{payer_id('Blue Summit Health')}", token("patient")), 200).json
    assert set(p) == set(spec["Payer"]["required"]) == set(spec["Payer"]["properties"])
    assert set(spec["PayerWrite"]["properties"]["adapter"]["enum"]) == {"stub", "slow", "failing", "none"}
