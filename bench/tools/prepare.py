#!/usr/bin/python3
"""Mints tokens with build/mint-token and writes the rows the wrk scripts and
the pgbench limit scripts draw from (one folder per JWT algorithm):

  reads.tsv    token case_id role sub spec    70% patients reading their own
               cases, 20% navigators/admins any case, 10% specialists an
               assigned case
  lists.tsv    token case_id role sub spec    navigators (the hotline)
  creates.tsv  token role sub patient_sub cancer_type case_id doc   patients
  payers.tsv   payer_id
  open_cases.tsv  token case_id role sub spec payer_id member_id   navigators
               checking coverage of open cases (members seeded by bench/seed.sql)

Inputs (exported by bench/run.sh with psql): cases.tsv (id, patient_sub,
cancer_type), assigned.tsv (case_id, specialist_id), payers.tsv (payer_id).
The minting environment (JWT_ALG, JWT_SECRET or JWT_PRIVATE_KEY_FILE,
JWT_ISSUER, JWT_AUDIENCE) is the caller's.
"""
import argparse
import base64
import collections
import json
import os
import random
import subprocess
from concurrent.futures import ThreadPoolExecutor

CASE_DOC = {
    "patient": {
        "name": "Maria Lopez", "date_of_birth": "1968-04-12", "sex": "female",
        "contact": {"email": "maria@example.org", "phone": "+1-555-0100"},
        "state": "TX", "zip": "77030", "location": {"lat": 29.71, "lon": -95.4},
        "preferred_language": "es",
    },
    "diagnosis": {
        "cancer_type": "breast", "diagnosis_date": "2025-09-01",
        "stage": {"system": "ajcc8", "t": "T2", "n": "N1", "m": "M0", "group": "IIB"},
        "histology": "Invasive ductal carcinoma, ER+/PR+/HER2-",
    },
    "treatment_plan": {
        "summary": "Neoadjuvant chemotherapy, then lumpectomy and radiation.",
        "intent": "curative", "modalities": ["chemotherapy", "surgery", "radiation"],
        "proposed_by": {"physician": "Dr. A. Smith", "institution": "Community Hospital"},
    },
    "request": {
        "reasons": ["confirm_stage", "explore_options"], "urgency": "soon",
        "urgency_reason": "Chemotherapy is scheduled in three weeks.",
        "questions": ["Is surgery first an option?"],
    },
    "preferences": {"telehealth_ok": True, "max_travel_km": 300, "languages": ["es", "en"]},
}


def read_tsv(path, names):
    with open(path) as f:
        return [dict(zip(names, l.rstrip("\n").split("\t"))) for l in f if l.strip()]


def write_tsv(path, names, rows):
    with open(path, "w") as f:
        f.write("\t".join(names) + "\n")
        for r in rows:
            f.write("\t".join(str(r.get(n) or "") for n in names) + "\n")


def mint(binary, role, sub, spec=None, ttl=14400):
    cmd = [binary, "--role", role, "--sub", sub, "--ttl", str(ttl)]
    if spec:
        cmd += ["--specialist-id", spec]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mint", required=True)
    ap.add_argument("--exports", required=True, help="folder with cases.tsv, assigned.tsv, payers.tsv")
    ap.add_argument("--out", required=True)
    ap.add_argument("--patients", type=int, default=1000)
    ap.add_argument("--navigators", type=int, default=200)
    ap.add_argument("--specialists", type=int, default=200)
    ap.add_argument("--admins", type=int, default=5)
    ap.add_argument("--rows", type=int, default=40000)
    a = ap.parse_args()
    rnd = random.Random(7)
    os.makedirs(a.out, exist_ok=True)

    cases = read_tsv(os.path.join(a.exports, "cases.tsv"), ["id", "patient_sub", "cancer_type", "status"])
    assigned = read_tsv(os.path.join(a.exports, "assigned.tsv"), ["case_id", "specialist_id"])
    by_patient = collections.defaultdict(list)
    for c in cases:
        by_patient[c["patient_sub"]].append(c["id"])
    by_spec = collections.defaultdict(list)
    for r in assigned:
        by_spec[r["specialist_id"]].append(r["case_id"])
    spec_ids = sorted(by_spec)[: a.specialists]

    subjects = [("patient", f"bench-p-{i}", None) for i in range(a.patients)]
    subjects += [("navigator", f"bench-nav-{i}", None) for i in range(a.navigators)]
    subjects += [("admin", f"bench-admin-{i}", None) for i in range(a.admins)]
    subjects += [("specialist", f"bench-spec-{i}", s) for i, s in enumerate(spec_ids)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        tokens = list(pool.map(lambda s: mint(a.mint, *s), subjects))
    who = [dict(role=r, sub=s, spec=sp, token=t) for (r, s, sp), t in zip(subjects, tokens)]
    patients = [w for w in who if w["role"] == "patient" and by_patient[w["sub"]]]
    staff = [w for w in who if w["role"] in ("navigator", "admin")]
    navigators = [w for w in who if w["role"] == "navigator"]
    specialists = [w for w in who if w["role"] == "specialist"]

    reads = []
    for _ in range(a.rows):
        x = rnd.random()
        if x < 0.7:
            w = rnd.choice(patients)
            cid = rnd.choice(by_patient[w["sub"]])
        elif x < 0.9 or not specialists:
            w = rnd.choice(staff)
            cid = rnd.choice(cases)["id"]
        else:
            w = rnd.choice(specialists)
            cid = rnd.choice(by_spec[w["spec"]])
        reads.append(dict(w, case_id=cid))
    cols = ["token", "case_id", "role", "sub", "spec"]
    write_tsv(os.path.join(a.out, "reads.tsv"), cols, reads)
    lists = [dict(w, case_id=rnd.choice(cases)["id"]) for w in navigators for _ in range(5)]
    write_tsv(os.path.join(a.out, "lists.tsv"), cols, lists)

    doc = json.dumps(CASE_DOC, separators=(",", ":"))
    creates = []
    for w in patients:
        creates.append(dict(token=w["token"], role="patient", sub=w["sub"], patient_sub=w["sub"],
                            cancer_type=CASE_DOC["diagnosis"]["cancer_type"],
                            case_id=rnd.choice(by_patient[w["sub"]]), doc=doc))
    write_tsv(os.path.join(a.out, "creates.tsv"),
              ["token", "role", "sub", "patient_sub", "cancer_type", "case_id", "doc"], creates)
    payers = read_tsv(os.path.join(a.exports, "payers.tsv"), ["payer_id"])
    write_tsv(os.path.join(a.out, "payers.tsv"), ["payer_id"], payers)
    # coverage can be checked only while a case is open (not closed or withdrawn)
    # with the payer and the member (bench/seed.sql: 50 per plan) the check asks about
    open_cases = [c for c in cases if c["status"] not in ("closed", "withdrawn")]
    write_tsv(os.path.join(a.out, "open_cases.tsv"), cols + ["payer_id", "member_id"],
              [dict(w, case_id=rnd.choice(open_cases)["id"], payer_id=rnd.choice(payers)["payer_id"],
                    member_id=str(1000000 + rnd.randint(1, 50)))
               for w in navigators for _ in range(5)])
    # events feed positions: the cursor is base64url("txid|id"), as the service issues it
    events_path = os.path.join(a.exports, "events.tsv")
    if os.path.exists(events_path):
        positions = read_tsv(events_path, ["txid", "id"])
        rows = []
        for _ in range(min(len(positions), 20000)):
            p = rnd.choice(positions)
            cur = base64.urlsafe_b64encode(f"{p['txid']}|{p['id']}".encode()).decode().rstrip("=")
            rows.append(dict(rnd.choice(navigators), txid=p["txid"], event_id=p["id"], cursor=cur))
        if rows:
            write_tsv(os.path.join(a.out, "events.tsv"),
                      ["token", "role", "sub", "txid", "event_id", "cursor"], rows)
    print(f"prepare: {len(who)} tokens, {len(reads)} read rows, {len(lists)} list rows, "
          f"{len(creates)} create rows in {a.out}")


if __name__ == "__main__":
    main()
