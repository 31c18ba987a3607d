-- Provider directory and matching (issue 5): versions for If-Match on
-- directory writes, the rule that basic-laboratory centers see no patients,
-- and the indexes the directory lists and the matcher read.

-- ETags of institutions and specialists: bumped by every admin write.
ALTER TABLE institutions ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE specialists ADD COLUMN version integer NOT NULL DEFAULT 1;

-- A basic-laboratory center does research only: it can never be marked as
-- seeing patients (the matcher also refuses it on designation alone).
ALTER TABLE institutions ADD CONSTRAINT institutions_basic_laboratory_sees_no_patients
    CHECK (nci_designation IS DISTINCT FROM 'basic_laboratory' OR NOT patient_care);

-- Directory lists are ordered by (name, id) and paged by keyset.
CREATE INDEX institutions_name_idx ON institutions (name, id);
CREATE INDEX specialists_name_idx ON specialists (name, id);

-- `payer=` filter: specialists who accept a payer.
CREATE INDEX specialist_payers_payer_idx ON specialist_payers (payer_id, specialist_id);

-- The matcher starts from specialist_cancer_types (cancer_type, specialist_id)
-- (its primary key) and then reads the matchable specialists by id. This
-- partial index holds exactly the matchable ones and every column the score
-- needs, so that step is an index-only lookup that never touches retired,
-- full or paused specialists.
CREATE INDEX specialists_matchable_idx ON specialists (id)
    INCLUDE (institution_id, telehealth, turnaround_days, open_cases, capacity, languages)
    WHERE retired_at IS NULL AND accepting AND open_cases < capacity;
