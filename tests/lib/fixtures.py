"""Builders for valid request bodies, shared by the test modules."""
import copy
import uuid

CASE = {
    "patient": {
        "name": "Maria Lopez",
        "date_of_birth": "1968-04-12",
        "sex": "female",
        "contact": {"email": "maria@example.org", "phone": "+1-555-0100"},
        "state": "TX",
        "zip": "77030",
        "location": {"lat": 29.71, "lon": -95.4},
        "preferred_language": "es",
    },
    "diagnosis": {
        "cancer_type": "breast",
        "diagnosis_date": "2026-09-01",
        "stage": {"system": "ajcc8", "t": "T2", "n": "N1", "m": "M0", "group": "IIB"},
        "histology": "Invasive ductal carcinoma, ER+/PR+/HER2-",
    },
    "treatment_plan": {
        "summary": "Neoadjuvant chemotherapy, then lumpectomy and radiation.",
        "intent": "curative",
        "modalities": ["chemotherapy", "surgery", "radiation"],
        "proposed_by": {"physician": "Dr. A. Smith", "institution": "Community Hospital"},
    },
    "request": {
        "reasons": ["confirm_stage", "explore_options"],
        "urgency": "soon",
        "urgency_reason": "Chemotherapy is scheduled in three weeks.",
        "questions": ["Is surgery first an option?"],
    },
    "preferences": {"telehealth_ok": True, "max_travel_km": 300, "languages": ["es", "en"]},
}


def case_body(**overrides):
    """A valid case body; overrides replace top-level members."""
    body = copy.deepcopy(CASE)
    for k, v in overrides.items():
        if v is None:
            body.pop(k, None)
        else:
            body[k] = v
    return body


def new_sub(prefix="patient"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"
