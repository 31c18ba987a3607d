"""Matching: GET /v1/cases/{id}/matches ranks specialists for a case: hard
filters, the documented weights with their reasons, stable order, no-match
reasons, in-network from the latest active coverage check, access and audit.

Every controlled test uses its own cancer type and puts its institutions and
patient in Elko, NV (test_providers' default place, hundreds of km from any
seeded center), so seeded specialists cannot blur the comparison."""
import uuid

from lib.fixtures import case_body, new_sub
from lib.review import Journey
from lib.harness import api, count, expect, expect_problem, sql, test, token
from lib.directory import ADMIN, new_institution, new_specialist, payer_ids, set_open_cases

ELKO = (40.832, -115.763)
FACTORS = ["nci_designation", "rare_cancer_center", "in_network", "distance", "telehealth",
           "language", "turnaround", "load"]


def create_case(cancer_type, location=ELKO, telehealth_ok=True, max_travel_km=None,
                preferred_language="en", languages=("en",), sub=None):
    """The one place fixture cases are made (through the cases API)."""
    sub = sub or new_sub()
    tok = token("patient", sub=sub)
    body = case_body()
    body["diagnosis"]["cancer_type"] = cancer_type
    body["patient"]["location"] = {"lat": location[0], "lon": location[1]} if location else None
    body["patient"]["preferred_language"] = preferred_language
    body["preferences"] = {"telehealth_ok": telehealth_ok, "max_travel_km": max_travel_km,
                           "languages": list(languages)}
    case = expect(api.post("/v1/cases", tok, body), 201).json
    return case["id"], tok


def matches(case_id, tok=None, limit=50):
    r = expect(api.get(f"/v1/cases/{case_id}/matches?limit={limit}", tok or token("navigator")), 200).json
    for item in r["items"]:
        assert [x["factor"] for x in item["reasons"]] == FACTORS, item["reasons"]
        assert item["score"] == sum(x["points"] for x in item["reasons"]), item
    return r


def ranked_ids(result):
    return [item["specialist"]["id"] for item in result["items"]]


def reason(item, factor):
    return next(x for x in item["reasons"] if x["factor"] == factor)


def item_of(result, specialist_id):
    return next(i for i in result["items"] if i["specialist"]["id"] == specialist_id)


def twins(cancer_type, designations, **spec):
    """One institution per designation in Elko, each with an identical specialist."""
    out = []
    for d in designations:
        inst = new_institution(nci_designation=d)
        s = new_specialist(inst["id"], cancer_types=[cancer_type], languages=["en"], telehealth=True,
                           turnaround_days=4, open_cases=0, capacity=10, **spec)
        out.append((inst, s))
    return out


# ---------------------------------------------------------------- ranking


@test
def rare_cancer_ranks_a_comprehensive_center_first_with_the_seeded_directory():
    for cancer_type, place in (("mesothelioma", (41.88, -87.63)), ("glioblastoma", (29.76, -95.37))):
        case_id, tok = create_case(cancer_type, location=place)
        r = matches(case_id, tok, limit=10)
        assert r["criteria"]["rare"] is True and r["no_match_reason"] is None
        assert len(r["items"]) == 10
        first = r["items"][0]
        assert first["specialist"]["institution"]["nci_designation"] == "comprehensive", first
        assert reason(first, "nci_designation") == {"factor": "nci_designation", "value": "comprehensive",
                                                    "points": 30}
        assert reason(first, "rare_cancer_center") == {"factor": "rare_cancer_center", "value": True,
                                                       "points": 20}


@test
def comprehensive_beats_clinical_beats_none_and_rarity_widens_the_gap():
    # adrenocortical carcinoma is rare, kidney cancer is not
    for cancer_type, rare_bonus in (("adrenocortical", 20), ("kidney", 0)):
        (comp_i, comp), (clin_i, clin), (none_i, none) = twins(
            cancer_type, ["comprehensive", "clinical", None])
        case_id, _ = create_case(cancer_type)
        r = matches(case_id)
        ids = ranked_ids(r)
        assert ids.index(comp["id"]) < ids.index(clin["id"]) < ids.index(none["id"]), cancer_type
        a, b, c = (item_of(r, s["id"]) for s in (comp, clin, none))
        assert a["score"] - b["score"] == 15 + rare_bonus, (a["score"], b["score"])
        assert b["score"] - c["score"] == 15
        assert reason(a, "rare_cancer_center")["points"] == rare_bonus
        assert reason(b, "rare_cancer_center") == {"factor": "rare_cancer_center", "value": False, "points": 0}
        assert reason(c, "nci_designation") == {"factor": "nci_designation", "value": "none", "points": 0}
        assert a["distance_km"] == 0 and reason(a, "distance")["points"] == 10
        if cancer_type == "adrenocortical":
            assert ids[0] == comp["id"]


@test
def reasons_explain_each_factor():
    inst = new_institution(nci_designation="clinical")
    s = new_specialist(inst["id"], cancer_types=["vulvar_vaginal"], languages=["en", "pt"], telehealth=True,
                       turnaround_days=12, open_cases=6, capacity=10)
    en_only = new_specialist(inst["id"], cancer_types=["vulvar_vaginal"], languages=["en"], telehealth=True,
                             turnaround_days=12, open_cases=6, capacity=10)
    case_id, _ = create_case("vulvar_vaginal", preferred_language="pt-BR", languages=["pt-BR", "en"])
    r = matches(case_id)
    item = item_of(r, s["id"])
    got = {x["factor"]: (x["value"], x["points"]) for x in item["reasons"]}
    assert got == {"nci_designation": ("clinical", 15), "rare_cancer_center": (False, 0),
                   "in_network": ("unknown", 0), "distance": (0, 10), "telehealth": (True, 5),
                   "language": ("pt", 10), "turnaround": (12, 3), "load": (0.6, 3)}, got
    assert item["score"] == 46
    other = item_of(r, en_only["id"])
    assert reason(other, "language") == {"factor": "language", "value": "en", "points": 5}
    assert ranked_ids(r).index(s["id"]) < ranked_ids(r).index(en_only["id"])
    assert r["criteria"]["preferred_language"] == "pt-BR" and r["criteria"]["cancer_type"] == "vulvar_vaginal"


@test
def languages_outside_the_bit_catalog_still_match_exactly():
    # isiXhosa and isiZulu are not in matching_language_bits' catalog: they
    # share one bit, and only the exact check tells them apart
    inst = new_institution(nci_designation="clinical")
    xhosa = new_specialist(inst["id"], cancer_types=["retinoblastoma"], languages=["en", "xh"])
    zulu = new_specialist(inst["id"], cancer_types=["retinoblastoma"], languages=["en", "zu"])
    none = new_specialist(inst["id"], cancer_types=["retinoblastoma"], languages=["fr"])
    case_id, _ = create_case("retinoblastoma", preferred_language="xh", languages=["xh", "en"])
    r = matches(case_id)
    assert reason(item_of(r, xhosa["id"]), "language") == {"factor": "language", "value": "xh", "points": 10}
    assert reason(item_of(r, zulu["id"]), "language") == {"factor": "language", "value": "en", "points": 5}
    assert reason(item_of(r, none["id"]), "language") == {"factor": "language", "value": None, "points": 0}
    case_id, _ = create_case("retinoblastoma", preferred_language="zu", languages=["zu"])
    r = matches(case_id)
    assert reason(item_of(r, zulu["id"]), "language")["points"] == 10
    assert reason(item_of(r, xhosa["id"]), "language")["points"] == 0


@test
def the_same_request_gives_the_same_order_with_documented_tie_breaks():
    # three identical specialists at one institution: only their ids differ
    inst = new_institution(nci_designation="comprehensive")
    same = [new_specialist(inst["id"], cancer_types=["glioma"], languages=["en"], turnaround_days=4,
                           open_cases=0, capacity=10)["id"] for _ in range(3)]
    slower = new_specialist(inst["id"], cancer_types=["glioma"], languages=["en"], turnaround_days=5,
                            open_cases=0, capacity=10)["id"]
    case_id, _ = create_case("glioma")
    first = matches(case_id)
    for _ in range(3):
        assert matches(case_id)["items"] == first["items"]
    ids = ranked_ids(first)
    assert [i for i in ids if i in same] == sorted(same)
    # equal score (turnaround 4 and 5 are in the same tier): shorter turnaround first
    assert item_of(first, slower)["score"] == item_of(first, same[0])["score"]
    assert ids.index(slower) > max(ids.index(i) for i in same)

    def key(item):
        d = item["distance_km"]
        return (-item["score"], reason(item, "turnaround")["value"], d is None, d or 0,
                item["specialist"]["id"])

    assert first["items"] == sorted(first["items"], key=key)
    assert [i["rank"] for i in first["items"]] == list(range(1, len(ids) + 1))


# ---------------------------------------------------------------- hard filters


@test
def a_patient_unwilling_to_travel_gets_only_telehealth_or_nearby_specialists():
    near_inst = new_institution(nci_designation="clinical")
    far_inst = new_institution(nci_designation="comprehensive", city="Miami", state="FL",
                               latitude=25.762, longitude=-80.192)
    near_in_person = new_specialist(near_inst["id"], cancer_types=["penile"], telehealth=False)["id"]
    far_in_person = new_specialist(far_inst["id"], cancer_types=["penile"], telehealth=False)["id"]
    far_remote = new_specialist(far_inst["id"], cancer_types=["penile"], telehealth=True)["id"]

    # no telehealth, 100 km: only specialists within 100 km
    case_id, _ = create_case("penile", telehealth_ok=False, max_travel_km=100)
    r = matches(case_id)
    ids = ranked_ids(r)
    assert near_in_person in ids and far_in_person not in ids and far_remote not in ids
    assert all(i["distance_km"] is not None and i["distance_km"] <= 100 for i in r["items"]), r["items"]
    assert all(reason(i, "telehealth")["value"] is False for i in r["items"])

    # telehealth acceptable, 100 km: nearby, or far away over telehealth
    case_id, _ = create_case("penile", telehealth_ok=True, max_travel_km=100)
    r = matches(case_id)
    ids = ranked_ids(r)
    assert near_in_person in ids and far_remote in ids and far_in_person not in ids
    for i in r["items"]:
        assert reason(i, "telehealth")["value"] is True or i["distance_km"] <= 100, i

    # no travel limit: everyone, in person too
    case_id, _ = create_case("penile", telehealth_ok=False, max_travel_km=None)
    ids = ranked_ids(matches(case_id))
    assert {near_in_person, far_in_person} <= set(ids) and far_remote in ids

    # unknown location with a limit: nothing in person can be shown to be near enough
    case_id, _ = create_case("penile", location=None, telehealth_ok=True, max_travel_km=100)
    r = matches(case_id)
    ids = ranked_ids(r)
    assert far_remote in ids and near_in_person not in ids and far_in_person not in ids
    assert r["criteria"]["patient_location_known"] is False
    assert all(reason(i, "telehealth")["value"] is True and i["distance_km"] is None for i in r["items"])


@test
def no_match_is_an_empty_list_with_a_reason():
    case_id, tok = create_case("penile", location=None, telehealth_ok=False, max_travel_km=100)
    r = matches(case_id, tok)
    assert r["items"] == [] and r["no_match_reason"]["code"] == "patient_location_unknown", r
    assert "location" in r["no_match_reason"]["detail"]
    # mid-Pacific, no telehealth, 50 km
    case_id, _ = create_case("penile", location=(0.0, -140.0), telehealth_ok=False, max_travel_km=50)
    r = matches(case_id)
    assert r["items"] == [] and r["no_match_reason"]["code"] == "outside_travel_limit", r
    assert "50 km" in r["no_match_reason"]["detail"]


@test
def full_paused_and_retired_specialists_never_appear():
    inst = new_institution(nci_designation="comprehensive")
    spec = dict(cancer_types=["anal"], languages=["en"], turnaround_days=3, capacity=5)
    control = new_specialist(inst["id"], open_cases=0, **spec)
    full = new_specialist(inst["id"], open_cases=5, **spec)
    paused = new_specialist(inst["id"], open_cases=0, accepting=False, **spec)
    retired = new_specialist(inst["id"], open_cases=0, **spec)
    expect(api.post(f"/v1/specialists/{retired['id']}/retire", ADMIN), 200)
    zero_capacity = new_specialist(inst["id"], open_cases=0, **dict(spec, capacity=0))
    case_id, _ = create_case("anal")
    ids = ranked_ids(matches(case_id))
    assert control["id"] in ids
    for s in (full, paused, retired, zero_capacity):
        assert s["id"] not in ids, s["name"]
    # filling the control up (as assignments do) removes it; freeing a slot
    # or raising its capacity brings it back
    set_open_cases(control["id"], 5)
    assert control["id"] not in ranked_ids(matches(case_id))
    set_open_cases(control["id"], 4)
    assert control["id"] in ranked_ids(matches(case_id))
    set_open_cases(control["id"], 5)
    expect(api.patch(f"/v1/specialists/{control['id']}", ADMIN, {"capacity": 6},
                     headers={"If-Match": '"1"'}), 200)
    assert control["id"] in ranked_ids(matches(case_id))
    # and no seeded full, paused or retired specialist shows up either
    for cancer_type in ("breast", "aml", "melanoma"):
        case_id, _ = create_case(cancer_type, location=(39.95, -75.17))
        for item in matches(case_id)["items"]:
            s_id = item["specialist"]["id"]
            row = sql(f"SELECT accepting, open_cases < capacity, retired_at IS NULL FROM specialists WHERE id = '{s_id}'")
            assert row == [["t", "t", "t"]], (s_id, row)


@test
def an_assignment_that_fills_a_specialist_takes_them_out_of_matching():
    # open_cases is kept by the assignments module; the read model follows it
    inst = new_institution(nci_designation="comprehensive")
    spec = new_specialist(inst["id"], cancer_types=["cholangiocarcinoma"], capacity=1)
    body = case_body()
    body["diagnosis"]["cancer_type"] = "cholangiocarcinoma"
    body["patient"]["location"] = {"lat": ELKO[0], "lon": ELKO[1]}
    first = Journey(body).submit()
    assert spec["id"] in ranked_ids(matches(first.case_id))
    r = expect(api.post(f"/v1/cases/{first.case_id}/assignments", first.navigator,
                        {"specialist_id": spec["id"]}), 201)
    assert sql(f"SELECT open_cases FROM specialists WHERE id = '{spec['id']}'") == [["1"]]
    second, _ = create_case("cholangiocarcinoma")
    assert spec["id"] not in ranked_ids(matches(second))
    specialist_token = token("specialist", specialist_id=spec["id"])
    expect(api.post(f"/v1/assignments/{r.json['id']}/decline", specialist_token,
                    {"reason": "Away at a conference this month"}), 200)
    assert spec["id"] in ranked_ids(matches(second))


@test
def basic_laboratory_and_other_non_patient_institutions_never_appear():
    lab = new_institution(nci_designation="basic_laboratory")
    research = new_institution(nci_designation=None, patient_care=False)
    retired_inst = new_institution(nci_designation="comprehensive")
    expect(api.post(f"/v1/providers/{retired_inst['id']}/retire", ADMIN), 200)
    normal = new_institution(nci_designation="clinical")
    control = new_specialist(normal["id"], cancer_types=["gallbladder"])
    # the API refuses reviewers there, so bad data is planted directly
    p = expect_problem(api.post("/v1/specialists", ADMIN,
                                {"name": "Lab Reviewer", "specialty": "anatomic_pathology",
                                 "institution_id": lab["id"], "cancer_types": ["gallbladder"],
                                 "turnaround_days": 2, "capacity": 9}), 400)
    assert p["errors"][0]["field"] == "institution_id"
    planted = []
    for inst in (lab, research, retired_inst):
        sid = sql("INSERT INTO specialists (name, specialty, institution_id, languages, telehealth,"
                  " accepting, turnaround_days, open_cases, capacity)"
                  f" VALUES ('Planted Reviewer', 'anatomic_pathology', '{inst['id']}', '{{en}}', true,"
                  " true, 2, 0, 9) RETURNING id")[0][0]
        sql(f"INSERT INTO specialist_cancer_types VALUES ('{sid}', 'gallbladder')")
        planted.append(sid)
    case_id, _ = create_case("gallbladder")
    ids = ranked_ids(matches(case_id))
    assert control["id"] in ids
    assert not set(planted) & set(ids)
    for sid in planted:  # retire the planted rows so no other test meets them
        sql(f"UPDATE specialists SET retired_at = now() WHERE id = '{sid}'")
    for cancer_type in ("sclc", "hodgkin", "neuroblastoma"):
        case_id, _ = create_case(cancer_type, location=(32.85, -117.27))  # La Jolla: Salk, Sanford Burnham
        for item in matches(case_id)["items"]:
            assert item["specialist"]["institution"]["nci_designation"] != "basic_laboratory", item


# ---------------------------------------------------------------- in network


def coverage_check(case_id, plan_id, outcome="active", coverage_end=None, minutes_ago=0):
    payer = payer_ids("Blue Summit Health")[0]
    end = f"'{coverage_end}'" if coverage_end else "NULL"
    plan = f"'{plan_id}'" if plan_id else "NULL"
    sql("INSERT INTO coverage_checks (case_id, payer_id, member_id, adapter, outcome, plan_id,"
        " coverage_end, duration_ms, checked_by_sub, checked_by_role, created_at)"
        f" VALUES ('{case_id}', '{payer}', 'TESTMEMBER1', 'stub', '{outcome}', {plan}, {end}, 3,"
        f" 'nav-test', 'navigator', now() - interval '{minutes_ago} minutes')")


def plan_with_network(*institution_ids):
    payer = payer_ids("Blue Summit Health")[0]
    plan = sql("INSERT INTO coverage_plans (payer_id, code, name, insurance_type)"
               f" VALUES ('{payer}', 'TEST-{uuid.uuid4().hex[:10].upper()}', 'Test PPO', 'ppo') RETURNING id")[0][0]
    for inst in institution_ids:
        sql(f"INSERT INTO coverage_plan_networks VALUES ('{plan}', '{inst}')")
    return plan


@test
def out_of_network_ranks_below_in_network_when_all_else_is_equal():
    (a_inst, a), (b_inst, b) = twins("merkel_cell", ["comprehensive", "comprehensive"])
    only_a, only_b = plan_with_network(a_inst["id"]), plan_with_network(b_inst["id"])
    for plan, inside, outside in ((only_a, a, b), (only_b, b, a)):
        case_id, _ = create_case("merkel_cell")
        coverage_check(case_id, plan)
        r = matches(case_id)
        ids = ranked_ids(r)
        assert ids.index(inside["id"]) < ids.index(outside["id"])
        x, y = item_of(r, inside["id"]), item_of(r, outside["id"])
        assert reason(x, "in_network") == {"factor": "in_network", "value": "in_network", "points": 15}
        assert reason(y, "in_network") == {"factor": "in_network", "value": "out_of_network", "points": 0}
        assert x["score"] - y["score"] == 15
        assert r["criteria"]["network_known"] is True and r["criteria"]["coverage_check_id"]


@test
def only_the_latest_active_unexpired_coverage_check_counts():
    (a_inst, a), = twins("testicular", ["clinical"])
    plan = plan_with_network(a_inst["id"])
    other_plan = plan_with_network()
    # no check at all: unknown
    case_id, _ = create_case("testicular")
    assert reason(item_of(matches(case_id), a["id"]), "in_network")["value"] == "unknown"
    # an older active check in network, a newer active one out: the newer wins
    coverage_check(case_id, plan, minutes_ago=10)
    coverage_check(case_id, other_plan, minutes_ago=5)
    assert reason(item_of(matches(case_id), a["id"]), "in_network")["value"] == "out_of_network"
    # a newer inactive check does not replace the latest active one
    coverage_check(case_id, None, outcome="inactive", minutes_ago=1)
    assert reason(item_of(matches(case_id), a["id"]), "in_network")["value"] == "out_of_network"
    # coverage that has ended says nothing about the network today
    case_id, _ = create_case("testicular")
    coverage_check(case_id, plan, coverage_end="2020-12-31")
    r = matches(case_id)
    assert reason(item_of(r, a["id"]), "in_network")["value"] == "unknown"
    assert r["criteria"]["network_known"] is False


# ---------------------------------------------------------------- access, audit, inputs


@test
def patients_read_matches_for_their_own_cases_only():
    case_id, own = create_case("cml")
    expect(api.get(f"/v1/cases/{case_id}/matches", own), 200)
    expect(api.get(f"/v1/cases/{case_id}/matches", token("navigator")), 200)
    expect(api.get(f"/v1/cases/{case_id}/matches", token("admin")), 200)
    expect_problem(api.get(f"/v1/cases/{case_id}/matches", token("patient")), 404)
    expect_problem(api.get(f"/v1/cases/{case_id}/matches", token("specialist")), 403)
    expect_problem(api.get(f"/v1/cases/{case_id}/matches"), 401)
    expect_problem(api.get(f"/v1/cases/{uuid.uuid4()}/matches", token("admin")), 404)
    expect_problem(api.get("/v1/cases/not-a-case/matches", token("admin")), 404)
    assert count("audit_events", f"case_id = '{case_id}' AND outcome = 'not_found'") >= 1


@test
def every_match_read_is_audited():
    case_id, tok = create_case("cll")
    before = count("audit_events", f"case_id = '{case_id}' AND action = 'case.matches.read'")
    matches(case_id, tok)
    matches(case_id)
    rows = sql(f"SELECT actor_role, resource_type, resource_id, outcome FROM audit_events"
               f" WHERE case_id = '{case_id}' AND action = 'case.matches.read' ORDER BY id")
    assert len(rows) == before + 2
    assert rows[-2:] == [["patient", "case", case_id, "success"], ["navigator", "case", case_id, "success"]]


@test
def bad_match_queries_are_400():
    case_id, tok = create_case("hcc")
    for query in ("limit=0", "limit=51", "limit=ten", "limit=", "limit=5&limit=6", "sort=score"):
        expect_problem(api.get(f"/v1/cases/{case_id}/matches?{query}", tok), 400, query)
    r = matches(case_id, tok, limit=3)
    assert len(r["items"]) == 3
    assert len(expect(api.get(f"/v1/cases/{case_id}/matches", tok), 200).json["items"]) == 10


@test
def matching_follows_case_changes():
    case_id, tok = create_case("hodgkin", location=(41.88, -87.63))
    before = matches(case_id, tok)
    assert before["items"]
    r = expect(api.get(f"/v1/cases/{case_id}", tok), 200)
    change = {"preferences": {"telehealth_ok": False, "max_travel_km": 0, "languages": ["en"]},
              "patient": {"location": {"lat": 0.0, "lon": -140.0}}}
    expect(api.patch(f"/v1/cases/{case_id}", tok, change, headers={"If-Match": r.headers["etag"]}), 200)
    after = matches(case_id, tok)
    assert after["items"] == [] and after["no_match_reason"]["code"] == "outside_travel_limit"

