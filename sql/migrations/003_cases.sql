-- Cases and their records: the protected health information at the heart of
-- the service. Owned by the cases and records modules.

CREATE TABLE cases (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- JWT subject of the patient who owns the case; NULL when a navigator
    -- opened it for a patient who has no app account (staff-only then).
    patient_sub        text,
    created_by_sub     text NOT NULL,
    created_by_role    text NOT NULL CHECK (created_by_role IN ('patient', 'navigator', 'admin')),
    status             text NOT NULL DEFAULT 'draft'
                       CHECK (status IN ('draft', 'submitted', 'in_review', 'opinion_ready', 'closed', 'withdrawn')),
    version            integer NOT NULL DEFAULT 1,
    -- patient
    patient_name       text NOT NULL,
    patient_dob        date NOT NULL,
    patient_sex        text NOT NULL CHECK (patient_sex IN ('female', 'male', 'intersex', 'unknown')),
    patient_contact    jsonb NOT NULL DEFAULT '{}'::jsonb,   -- {email, phone}
    patient_state      text CHECK (patient_state ~ '^[A-Z]{2}$'),
    patient_zip        text CHECK (patient_zip ~ '^[0-9]{5}$'),
    patient_lat        double precision CHECK (patient_lat BETWEEN -90 AND 90),
    patient_lon        double precision CHECK (patient_lon BETWEEN -180 AND 180),
    preferred_language text NOT NULL DEFAULT 'en',
    -- diagnosis
    cancer_type        text NOT NULL REFERENCES cancer_types (code),
    diagnosis_date     date,
    stage              jsonb NOT NULL DEFAULT '{"unknown": true}'::jsonb,  -- {system, t, n, m, group, unknown}
    histology          text,
    treatment_plan     jsonb,                               -- {summary, intent, proposed_by{...}, ...}
    -- request
    reasons            text[] NOT NULL,
    reason_other       text,
    urgency            text NOT NULL CHECK (urgency IN ('routine', 'soon', 'urgent')),
    urgency_reason     text,
    telehealth_ok      boolean NOT NULL DEFAULT true,
    max_travel_km      integer CHECK (max_travel_km BETWEEN 0 AND 20000),
    languages          text[] NOT NULL DEFAULT '{}',
    questions          jsonb NOT NULL DEFAULT '[]'::jsonb,   -- array of strings
    -- rounds: a third opinion is a new case linked to the one before
    parent_case_id     uuid REFERENCES cases (id),
    round              integer NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    submitted_at       timestamptz,
    closed_at          timestamptz
);
-- Lists page newest-created first with a (created_at, id) keyset.
CREATE INDEX cases_patient_idx ON cases (patient_sub, created_at DESC, id DESC);
CREATE INDEX cases_created_idx ON cases (created_at DESC, id DESC);
CREATE INDEX cases_status_idx ON cases (status, created_at DESC, id DESC);

-- Every change of status, with who and when.
CREATE TABLE case_status_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id     uuid NOT NULL REFERENCES cases (id),
    from_status text,
    to_status   text NOT NULL,
    actor_sub   text NOT NULL,
    actor_role  text NOT NULL,
    note        text,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_status_history_case_idx ON case_status_history (case_id, id);

-- Records a reviewer needs. Bytes live in document_contents so that listing
-- metadata never reads them. Physical slides have a shipment status instead.
CREATE TABLE documents (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id         uuid NOT NULL REFERENCES cases (id),
    kind            text NOT NULL CHECK (kind IN ('pathology_report', 'pathology_slides', 'imaging',
                        'operative_report', 'discharge_summary', 'treatment_plan', 'medication_list', 'other')),
    title           text,
    media_type      text CHECK (media_type IN ('application/pdf', 'image/jpeg', 'image/png', 'application/dicom')),
    size_bytes      bigint CHECK (size_bytes >= 0),
    sha256          text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    -- physical slides only
    shipment_status text CHECK (shipment_status IN ('requested', 'shipped', 'received')),
    carrier         text,
    tracking_number text,
    uploaded_by_sub text NOT NULL,
    uploaded_by_role text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((media_type IS NOT NULL AND size_bytes IS NOT NULL AND sha256 IS NOT NULL AND shipment_status IS NULL)
        OR (media_type IS NULL AND size_bytes IS NULL AND sha256 IS NULL AND shipment_status IS NOT NULL))
);
CREATE INDEX documents_case_idx ON documents (case_id, created_at, id);

CREATE TABLE document_contents (
    document_id uuid PRIMARY KEY REFERENCES documents (id),
    content     bytea NOT NULL
);
ALTER TABLE document_contents ALTER COLUMN content SET STORAGE EXTERNAL;  -- PDFs and images do not compress

CREATE TABLE medications (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id        uuid NOT NULL REFERENCES cases (id),
    drug           text NOT NULL,
    dose           numeric CHECK (dose > 0),
    unit           text,
    route          text,
    frequency      text,
    start_date     date,
    end_date       date,
    created_by_sub text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date)
);
CREATE INDEX medications_case_idx ON medications (case_id, created_at, id);

-- Transactional outbox: every state change writes one row in the same
-- transaction. Rows carry ids, never patient data. txid orders the feed so
-- that a reader never passes a row a slower transaction has yet to commit.
CREATE TABLE events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    txid         xid8 NOT NULL DEFAULT pg_current_xact_id(),
    type         text NOT NULL,
    case_id      uuid,
    subject_type text,
    subject_id   uuid,
    actor_role   text,
    occurred_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_feed_idx ON events (txid, id);
REVOKE UPDATE, DELETE, TRUNCATE ON events FROM cso_app;
