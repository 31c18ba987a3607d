"""Helpers for the review journey (assignments and opinions): directory rows,
submitted cases, and the three roles driving a case to a signed opinion."""
import copy
import uuid

from lib.fixtures import case_body, new_sub
from lib.harness import api, expect, sql, token

QUESTIONS = ["Is surgery first an option?"]

OPINION = {
    "concordance": "minor_change",
    "diagnosis": {
        "cancer_type": "breast",
        "stage": {"system": "ajcc8", "t": "T2", "n": "N0", "m": "M0", "group": "IIA"},
        "histology": "Invasive ductal carcinoma, grade 2, ER+/PR+/HER2-",
    },
    "treatment_recommendation": "Surgery first is reasonable: lumpectomy with sentinel node biopsy, "
                                "then decide on chemotherapy from the recurrence score.",
    "additional_tests": [{"name": "Oncotype DX recurrence score",
                          "rationale": "Decides whether chemotherapy adds benefit."}],
    "clinical_trials": [{"id": "NCT03155997", "title": "Endocrine therapy with or without a CDK4/6 inhibitor"}],
    "answers": [{"question": QUESTIONS[0],
                 "answer": "Yes. With node-negative disease on review, surgery first is an option."}],
    "narrative": "I reviewed the pathology report and the imaging.\nThe nodes are not involved on my read.",
    "attestation": {
        "statement": "I personally reviewed the records listed and this opinion is my own.",
        "reviewed_materials": ["pathology_report", "imaging", "treatment_plan"],
        "conflicts_of_interest": None,
    },
}


def opinion_body(**overrides):
    body = copy.deepcopy(OPINION)
    for k, v in overrides.items():
        if v is None:
            body.pop(k, None)
        else:
            body[k] = v
    return body


def institution_id(patient_care=True):
    return sql(f"SELECT id FROM institutions WHERE patient_care = {str(patient_care).lower()}"
               " AND retired_at IS NULL ORDER BY name LIMIT 1")[0][0]


class Specialist:
    def __init__(self, sid, name):
        self.id = sid
        self.name = name
        self.token = token("specialist", specialist_id=sid)

    def open_cases(self):
        return int(sql(f"SELECT open_cases FROM specialists WHERE id = '{self.id}'")[0][0])


def make_specialist(cancer_types=("breast",), capacity=5, turnaround_days=10, accepting=True,
                    patient_care=True, retired=False, open_cases=0, name=None, institution=None,
                    telehealth=True):
    """Inserts a reviewing specialist straight into the directory tables
    (institution: an institution id; default the first one by name)."""
    name = name or f"Dr. Test {uuid.uuid4().hex[:6]}"
    institution = institution or institution_id(patient_care)
    sid = sql(f"""INSERT INTO specialists (name, specialty, institution_id, turnaround_days, capacity,
                                           open_cases, accepting, retired_at, telehealth)
                  VALUES ('{name}', 'medical_oncology', '{institution}', {turnaround_days},
                          {capacity}, {open_cases}, {str(accepting).lower()}, {'now()' if retired else 'NULL'},
                          {str(telehealth).lower()})
                  RETURNING id""")[0][0]
    for ct in cancer_types:
        sql(f"INSERT INTO specialist_cancer_types (specialist_id, cancer_type) VALUES ('{sid}', '{ct}')")
    return Specialist(sid, name)


def add_records(case_id, kinds=("pathology_report", "imaging"), meds=1):
    """Inserts record rows directly (the records API is on another branch),
    with bytes for the documents."""
    for kind in kinds:
        did = sql(f"""INSERT INTO documents (case_id, kind, media_type, size_bytes, sha256, uploaded_by_sub,
                                             uploaded_by_role)
                      VALUES ('{case_id}', '{kind}', 'application/pdf', 8, repeat('a', 64), 'fixture', 'navigator')
                      RETURNING id""")[0][0]
        sql(f"INSERT INTO document_contents (document_id, content) VALUES ('{did}', '\\x255044462d312e34')")
    for _ in range(meds):
        sql(f"INSERT INTO medications (case_id, drug, created_by_sub) VALUES ('{case_id}', 'tamoxifen', 'fixture')")


class Journey:
    """One case moving through review, with a token per role."""

    def __init__(self, body=None, sub=None):
        self.patient_sub = sub or new_sub()
        self.patient = token("patient", sub=self.patient_sub)
        self.navigator = token("navigator")
        c = expect(api.post("/v1/cases", self.patient, body or case_body()), 201).json
        self.case_id = c["id"]
        self.assignment_id = None
        self.opinion_id = None
        self.specialist = None

    @classmethod
    def for_case(cls, case_id, patient_sub):
        """A journey for a case that already exists (a later round)."""
        j = cls.__new__(cls)
        j.patient_sub = patient_sub
        j.patient = token("patient", sub=patient_sub)
        j.navigator = token("navigator")
        j.case_id = case_id
        j.assignment_id = j.opinion_id = j.specialist = None
        return j

    def submit(self):
        add_records(self.case_id)
        expect(api.post(f"/v1/cases/{self.case_id}/submit", self.patient), 200)
        return self

    def assign(self, specialist=None, tok=None):
        self.specialist = specialist or make_specialist()
        r = expect(api.post(f"/v1/cases/{self.case_id}/assignments", tok or self.navigator,
                            {"specialist_id": self.specialist.id}), 201)
        self.assignment_id = r.json["id"]
        return self

    def accept(self):
        expect(api.post(f"/v1/assignments/{self.assignment_id}/accept", self.specialist.token), 200)
        return self

    def draft(self, body=None):
        r = expect(api.post(f"/v1/cases/{self.case_id}/opinions", self.specialist.token,
                            opinion_body() if body is None else body), 201)
        self.opinion_id = r.json["id"]
        self.etag = r.headers["etag"]
        return self

    def sign(self):
        r = expect(api.post(f"/v1/opinions/{self.opinion_id}/sign", self.specialist.token,
                            headers={"If-Match": self.etag}), 200)
        self.etag = r.headers["etag"]
        return self

    def status(self):
        return sql(f"SELECT status FROM cases WHERE id = '{self.case_id}'")[0][0]


def in_review(**kw):
    return Journey(**kw).submit().assign().accept()


def signed(**kw):
    return in_review(**kw).draft().sign()
