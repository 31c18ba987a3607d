-- Review: the life of an assignment after it is created, the opinion a
-- specialist writes and signs, its amendments, and the patient's
-- acknowledgement. Owned by the assignments and opinions modules.

-- Who created the assignment (a patient may pick one of their matches), when
-- it changed state, a version for If-Match, and an optional video
-- consultation whose link the caller supplies.
ALTER TABLE assignments
    ADD COLUMN created_by_role      text CHECK (created_by_role IN ('patient', 'navigator', 'admin')),
    ADD COLUMN version              integer NOT NULL DEFAULT 1,
    ADD COLUMN accepted_at          timestamptz,
    ADD COLUMN declined_at          timestamptz,
    ADD COLUMN completed_at         timestamptz,
    ADD COLUMN consultation_at      timestamptz,
    ADD COLUMN consultation_minutes integer CHECK (consultation_minutes BETWEEN 10 AND 240),
    ADD COLUMN consultation_url     text CHECK (consultation_url ~ '^https://[^[:space:]]{4,}$'),
    ADD COLUMN consultation_by_sub  text,
    ADD CONSTRAINT assignments_consultation_whole
        CHECK ((consultation_at IS NULL) = (consultation_url IS NULL)
           AND (consultation_at IS NULL) = (consultation_minutes IS NULL)),
    ADD CONSTRAINT assignments_decline_has_reason
        CHECK (status <> 'declined' OR decline_reason IS NOT NULL);
-- The specialist's worklist pages newest first.
CREATE INDEX assignments_worklist_idx ON assignments (specialist_id, created_at DESC, id DESC);
CREATE INDEX assignments_created_idx ON assignments (created_at DESC, id DESC);

-- One opinion per assignment: drafted, revised, then signed. A signed row is
-- never changed again (the trigger below is the backstop for the service's
-- own checks); corrections are opinion_amendments.
CREATE TABLE opinions (
    id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id                  uuid NOT NULL REFERENCES cases (id),
    assignment_id            uuid NOT NULL UNIQUE REFERENCES assignments (id),
    specialist_id            uuid NOT NULL REFERENCES specialists (id),
    status                   text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'signed')),
    version                  integer NOT NULL DEFAULT 1,
    concordance              text CHECK (concordance IN ('agree', 'minor_change', 'major_change',
                                 'different_diagnosis', 'insufficient_records')),
    diagnosis                jsonb,                       -- {cancer_type, stage{...}, histology}
    treatment_recommendation text,
    additional_tests         jsonb NOT NULL DEFAULT '[]'::jsonb,  -- [{name, rationale}]
    clinical_trials          jsonb NOT NULL DEFAULT '[]'::jsonb,  -- [{id: NCT########, title}]
    answers                  jsonb NOT NULL DEFAULT '[]'::jsonb,  -- [{question, answer}]
    narrative                text,
    attestation              jsonb,                       -- {statement, reviewed_materials[], conflicts_of_interest}
    created_by_sub           text NOT NULL,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    signed_at                timestamptz,
    signed_by_sub            text,
    CHECK (status = 'draft' OR (signed_at IS NOT NULL AND signed_by_sub IS NOT NULL
                                AND concordance IS NOT NULL AND narrative IS NOT NULL
                                AND attestation IS NOT NULL))
);
CREATE INDEX opinions_case_idx ON opinions (case_id, created_at, id);

CREATE FUNCTION opinions_signed_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'signed' THEN
        RAISE EXCEPTION 'opinion % is signed and cannot change', OLD.id
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER opinions_signed_immutable BEFORE UPDATE OR DELETE ON opinions
    FOR EACH ROW EXECUTE FUNCTION opinions_signed_are_immutable();
REVOKE DELETE, TRUNCATE ON opinions FROM cso_app;

-- Corrections to a signed opinion, signed by its author when made. The
-- original stays as it was signed; readers see it with its amendments.
CREATE TABLE opinion_amendments (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    opinion_id    uuid NOT NULL REFERENCES opinions (id),
    seq           integer NOT NULL CHECK (seq >= 1),
    reason        text NOT NULL,
    changes       jsonb,        -- revised members, same shapes as in the opinion
    narrative     text,
    specialist_id uuid NOT NULL REFERENCES specialists (id),
    signed_by_sub text NOT NULL,
    signed_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (opinion_id, seq),
    CHECK (changes IS NOT NULL OR narrative IS NOT NULL)
);
REVOKE UPDATE, DELETE, TRUNCATE ON opinion_amendments FROM cso_app;

-- The patient's record of having read the opinion of their case. One per
-- case: acknowledging again returns the first one.
CREATE TABLE acknowledgements (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id         uuid NOT NULL UNIQUE REFERENCES cases (id),
    opinion_id      uuid NOT NULL REFERENCES opinions (id),
    patient_sub     text NOT NULL,
    acknowledged_at timestamptz NOT NULL DEFAULT now()
);
REVOKE UPDATE, DELETE, TRUNCATE ON acknowledgements FROM cso_app;

-- Later rounds (third opinions) are found from their parent.
CREATE INDEX cases_parent_idx ON cases (parent_case_id) WHERE parent_case_id IS NOT NULL;
