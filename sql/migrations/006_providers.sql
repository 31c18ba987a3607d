-- Provider directory and matching (issue 5): versions for If-Match on
-- directory writes, the rule that basic-laboratory centers see no patients,
-- the indexes the directory lists read, and the matcher's read model
-- (specialist_matching) with the triggers that keep it exact.

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

-- Languages as bits, so that the matcher tests "speaks the patient's
-- language" with one AND per candidate instead of array operations (which
-- cost a third of a ranking). Each of these 62 languages (the languages US
-- patients most often need interpreters for, and other major ones) has a bit
-- of its own (0..61); every other code shares bit 62, and the matcher then
-- confirms with the language arrays themselves, so the answer stays exact.
CREATE FUNCTION matching_language_bits(languages text[]) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(bit_or(1::bigint << coalesce(array_position(
        '{en,es,zh,vi,ko,ar,fr,ru,pt,hi,tl,de,it,pl,ja,fa,ur,bn,pa,gu,ht,el,he,hy,uk,so,am,ne,th,km,lo,my,ta,te,ml,mr,kn,sw,yo,ig,ha,ti,om,tr,ro,hu,cs,sk,sr,hr,bs,sq,lt,nl,sv,no,da,fi,ps,ku,id,fil}'::text[],
        l) - 1, 62)), 0)
    FROM unnest(languages) l
$$;

-- The matcher's read model: one row per cancer type a matchable specialist
-- reviews (not retired, accepting new cases, open_cases < capacity), with
-- every specialist column the score needs. Ranking a case reads one range of
-- the primary key (its cancer type) as an index-only scan instead of probing
-- specialists once per candidate, which is what keeps matching fast with
-- 50,000 specialists. Institution columns are not copied: the matcher joins
-- the (few) institutions itself, so institution changes need no upkeep here.
-- Kept exact, in the same transaction, by the statement triggers below; the
-- service itself only reads it.
CREATE TABLE specialist_matching (
    cancer_type     text NOT NULL,
    specialist_id   uuid NOT NULL,
    institution_id  uuid NOT NULL,
    telehealth      boolean NOT NULL,
    turnaround_days integer NOT NULL,
    open_cases      integer NOT NULL,
    capacity        integer NOT NULL,
    languages       text[] NOT NULL,
    language_bits   bigint NOT NULL,  -- matching_language_bits(languages)
    PRIMARY KEY (cancer_type, specialist_id)
        INCLUDE (institution_id, telehealth, turnaround_days, open_cases, capacity, languages,
                 language_bits)
);
CREATE INDEX specialist_matching_specialist_idx ON specialist_matching (specialist_id);

-- Rebuilds the rows of the given specialists from specialists and
-- specialist_cancer_types. Runs as the owner: the service role may read the
-- table but not write it.
CREATE FUNCTION specialist_matching_sync(ids uuid[]) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DELETE FROM specialist_matching WHERE specialist_id = ANY (ids);
    INSERT INTO specialist_matching (cancer_type, specialist_id, institution_id, telehealth,
                                     turnaround_days, open_cases, capacity, languages,
                                     language_bits)
    SELECT t.cancer_type, s.id, s.institution_id, s.telehealth, s.turnaround_days, s.open_cases,
           s.capacity, s.languages, matching_language_bits(s.languages)
    FROM specialists s JOIN specialist_cancer_types t ON t.specialist_id = s.id
    WHERE s.id = ANY (ids) AND s.retired_at IS NULL AND s.accepting AND s.open_cases < s.capacity;
$$;

-- Statement-level triggers with transition tables: a bulk load or a set
-- replacement syncs each touched specialist once per statement.
CREATE FUNCTION specialist_matching_from_specialists() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM specialist_matching_sync(ARRAY(SELECT id FROM old_rows));
    ELSE
        PERFORM specialist_matching_sync(ARRAY(SELECT id FROM new_rows));
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION specialist_matching_from_cancer_types() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM specialist_matching_sync(ARRAY(SELECT DISTINCT specialist_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM specialist_matching_sync(ARRAY(SELECT DISTINCT specialist_id FROM old_rows));
    ELSE
        PERFORM specialist_matching_sync(ARRAY(SELECT specialist_id FROM old_rows
                                               UNION SELECT specialist_id FROM new_rows));
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER specialist_matching_specialists_insert AFTER INSERT ON specialists
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION specialist_matching_from_specialists();
CREATE TRIGGER specialist_matching_specialists_update AFTER UPDATE ON specialists
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION specialist_matching_from_specialists();
CREATE TRIGGER specialist_matching_specialists_delete AFTER DELETE ON specialists
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION specialist_matching_from_specialists();
CREATE TRIGGER specialist_matching_cancer_types_insert AFTER INSERT ON specialist_cancer_types
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION specialist_matching_from_cancer_types();
CREATE TRIGGER specialist_matching_cancer_types_update AFTER UPDATE ON specialist_cancer_types
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION specialist_matching_from_cancer_types();
CREATE TRIGGER specialist_matching_cancer_types_delete AFTER DELETE ON specialist_cancer_types
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION specialist_matching_from_cancer_types();

REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON specialist_matching FROM cso_app;

-- Whatever the directory held before this migration.
DO $$ BEGIN PERFORM specialist_matching_sync(ARRAY(SELECT id FROM specialists)); END $$;
