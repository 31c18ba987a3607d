-- Directory: payers, reviewing specialists and the assignments that link a
-- specialist to a case. Institutions are in 002.

CREATE TABLE payers (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text NOT NULL UNIQUE,
    kind       text NOT NULL CHECK (kind IN ('commercial', 'medicare', 'medicaid', 'employer', 'self_pay')),
    adapter    text NOT NULL,   -- coverage adapter that answers for this payer, e.g. 'stub', 'slow'
    retired_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE specialists (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name            text NOT NULL,
    specialty       text NOT NULL REFERENCES specialties (code),
    institution_id  uuid NOT NULL REFERENCES institutions (id),
    languages       text[] NOT NULL DEFAULT '{en}',
    telehealth      boolean NOT NULL DEFAULT true,
    accepting       boolean NOT NULL DEFAULT true,
    turnaround_days integer NOT NULL CHECK (turnaround_days BETWEEN 1 AND 90),
    open_cases      integer NOT NULL DEFAULT 0 CHECK (open_cases >= 0),
    capacity        integer NOT NULL CHECK (capacity >= 0),
    retired_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (open_cases <= capacity)
);
CREATE INDEX specialists_institution_idx ON specialists (institution_id);

CREATE TABLE specialist_cancer_types (
    specialist_id uuid NOT NULL REFERENCES specialists (id),
    cancer_type   text NOT NULL REFERENCES cancer_types (code),
    PRIMARY KEY (cancer_type, specialist_id)
);
CREATE INDEX specialist_cancer_types_specialist_idx ON specialist_cancer_types (specialist_id);

CREATE TABLE specialist_payers (
    specialist_id uuid NOT NULL REFERENCES specialists (id),
    payer_id      uuid NOT NULL REFERENCES payers (id),
    PRIMARY KEY (specialist_id, payer_id)
);

-- A specialist reviewing a case. The cases module reads this table to decide
-- what a specialist may see; the opinions module owns its life cycle.
CREATE TABLE assignments (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id        uuid NOT NULL REFERENCES cases (id),
    specialist_id  uuid NOT NULL REFERENCES specialists (id),
    status         text NOT NULL DEFAULT 'offered'
                   CHECK (status IN ('offered', 'accepted', 'declined', 'completed', 'cancelled')),
    due_at         timestamptz NOT NULL,
    decline_reason text,
    created_by_sub text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assignments_case_idx ON assignments (case_id);
CREATE INDEX assignments_specialist_idx ON assignments (specialist_id, status);
-- At most one live (offered or accepted) assignment per case.
CREATE UNIQUE INDEX assignments_one_live_per_case ON assignments (case_id)
    WHERE status IN ('offered', 'accepted');
