-- Deterministic generator of a realistic, fictional specialist directory.
--
--   psql -v specialist_count=50000 -f sql/generate/directory.sql
--
-- Used by sql/seed/dev/03_directory.sql (a few hundred specialists for
-- development and tests) and by bench/matching (50,000). Specialist n always
-- gets the same id, name, institution, specialty, cancer types, languages and
-- payers, so re-running is an idempotent upsert and a larger run extends a
-- smaller one. Pseudo-randomness is md5 of a per-attribute key; nothing here
-- depends on the clock or on random().
--
-- Needs: cancer_types, specialties and the NCI centers (01_reference.sql),
-- the non-NCI hospitals and payers (03_directory.sql). No real people: names
-- are drawn from lists of common given and family names.

\if :{?specialist_count}
\else
\set specialist_count 400
\endif

-- A uniform number in [0, 1) from a key.
CREATE FUNCTION pg_temp.rnd(k text) RETURNS double precision
    LANGUAGE sql IMMUTABLE AS $$ SELECT ('x' || substr(md5(k), 1, 8))::bit(32)::bigint / 4294967296.0 $$;

-- Patient-care institutions from the seed only (NCI rows from the CSV and
-- the hospitals of 03_directory.sql), in a fixed order, repeated by weight so
-- that comprehensive centers (the large programs) get more reviewers.
CREATE TEMP TABLE gen_institutions AS
SELECT array_agg(id ORDER BY name, city, state, k) AS ids
FROM (
    SELECT i.id, i.name, i.city, i.state, k
    FROM institutions i
    CROSS JOIN LATERAL generate_series(1, CASE i.nci_designation WHEN 'comprehensive' THEN 3
                                                                  WHEN 'clinical' THEN 2 ELSE 2 END) k
    WHERE i.patient_care AND i.retired_at IS NULL
      AND (i.nci_designation IS NOT NULL
           OR i.name IN (SELECT name FROM seed_hospitals))
) x;

-- Disease groups a reviewer focuses on: the cancer types of the group and
-- the specialties that review them, with a weight for how common such
-- reviewers are. Every cancer type of cancer_types.csv is in at least one
-- group (checked at the end).
CREATE TEMP TABLE gen_groups (name text, weight int, types text[], specialties text[]);
INSERT INTO gen_groups VALUES
    ('breast', 10, '{breast}',
        '{medical_oncology,surgical_oncology,radiation_oncology,anatomic_pathology,diagnostic_radiology}'),
    ('thoracic', 7, '{nsclc,sclc,mesothelioma,thymoma}',
        '{medical_oncology,radiation_oncology,surgical_oncology,anatomic_pathology,cytopathology}'),
    ('gastrointestinal', 10, '{colorectal,pancreatic,gastric,esophageal,hcc,cholangiocarcinoma,gallbladder,anal,appendiceal,net,gist}',
        '{medical_oncology,surgical_oncology,anatomic_pathology,diagnostic_radiology,radiation_oncology}'),
    ('genitourinary', 8, '{prostate,kidney,bladder,testicular,penile,adrenocortical}',
        '{medical_oncology,radiation_oncology,anatomic_pathology,diagnostic_radiology}'),
    ('gynecologic', 6, '{ovarian,uterine,cervical,vulvar_vaginal}',
        '{gynecologic_oncology,anatomic_pathology,radiation_oncology,cytopathology}'),
    ('head_and_neck', 5, '{head_and_neck,thyroid}',
        '{surgical_oncology,radiation_oncology,medical_oncology,cytopathology}'),
    ('sarcoma', 3, '{soft_tissue_sarcoma,gist,osteosarcoma,ewing_sarcoma,rhabdomyosarcoma}',
        '{medical_oncology,surgical_oncology,anatomic_pathology,molecular_genetic_pathology}'),
    ('skin', 5, '{melanoma,merkel_cell,cutaneous_scc,uveal_melanoma}',
        '{medical_oncology,dermatopathology,surgical_oncology}'),
    ('unknown_primary', 2, '{cup,net,uveal_melanoma}',
        '{medical_oncology,molecular_genetic_pathology,anatomic_pathology}'),
    ('neuro', 5, '{glioblastoma,glioma,meningioma,medulloblastoma}',
        '{neuropathology,neuroradiology,medical_oncology,radiation_oncology}'),
    ('leukemia', 6, '{aml,all,cml,mds,mpn,cll}',
        '{hematology_oncology,hematology,hematopathology,molecular_genetic_pathology}'),
    ('lymphoma', 6, '{dlbcl,hodgkin,follicular,mantle_cell,marginal_zone,ptcl,ctcl,cll,waldenstrom}',
        '{hematology_oncology,hematopathology}'),
    ('plasma_cell', 3, '{myeloma,waldenstrom,mds}',
        '{hematology_oncology,hematology,hematopathology}'),
    ('pediatric', 4, '{neuroblastoma,wilms,retinoblastoma,hepatoblastoma,rhabdomyosarcoma,osteosarcoma,ewing_sarcoma,medulloblastoma,all}',
        '{pediatric_hematology_oncology,anatomic_pathology,neuropathology}');

CREATE TEMP TABLE gen_group_pick AS
SELECT array_agg(g.name ORDER BY g.name, k) AS names
FROM gen_groups g CROSS JOIN LATERAL generate_series(1, g.weight) k;

CREATE TEMP TABLE gen_specialists AS
WITH n AS (
    SELECT n, md5('cso-dev-specialist-' || n)::uuid AS id
    FROM generate_series(1, :specialist_count) n
),
base AS (
    SELECT n.n, n.id,
           (SELECT names[1 + floor(pg_temp.rnd(n.n || ':group') * cardinality(names))::int] FROM gen_group_pick) AS grp,
           (SELECT ids[1 + floor(pg_temp.rnd(n.n || ':institution') * cardinality(ids))::int] FROM gen_institutions) AS institution_id
    FROM n
)
SELECT b.n, b.id, b.institution_id, g.name AS grp,
       (ARRAY['Avery','Priya','Mateo','Hannah','Kwame','Lucia','Noah','Mei','Omar','Sofia','Daniel',
              'Amara','Ethan','Yuki','Grace','Ravi','Elena','Samuel','Leila','Jonah','Ana','Tomasz',
              'Nadia','Isaac','Chloe','Arjun','Maya','Felix','Zainab','Victor','Ingrid','Diego',
              'Hana','Marcus','Esther','Kofi','Rosa','Aaron','Linh','Julia'])
           [1 + floor(pg_temp.rnd(b.n || ':given') * 40)::int]
       || ' ' ||
       (ARRAY['Okafor','Lindqvist','Haddad','Moreno','Nakamura','Brennan','Castellanos','Oyelaran',
              'Whitfield','Kowalczyk','Ramaswamy','Delacroix','Ferreira','Abernathy','Sato',
              'Mbeki','Halvorsen','Quintero','Adeyemi','Novak','Petrovic','Varga','Gallagher',
              'Iyer','Bianchi','Achterberg','Kaur','Lindgren','Ostrowski','Takahashi','Mensah',
              'Duarte','Fitzgerald','Soto','Rahman','Engstrom','Costa','Hoffmann','Nguyen',
              'Castillo','Yilmaz','Barros','Kimura','Lachance','Obi','Pereira','Schultz','Tan',
              'Valdez','Weiss'])
           [1 + floor(pg_temp.rnd(b.n || ':family') * 50)::int] AS name,
       g.specialties[1 + floor(pg_temp.rnd(b.n || ':specialty') * cardinality(g.specialties))::int] AS specialty,
       -- 2 to 5 consecutive types of the group from an offset that cycles with
       -- n, so every type of every group is reviewed by someone.
       ARRAY(SELECT g.types[1 + ((b.n + j) % cardinality(g.types))]
             FROM generate_series(0, least(cardinality(g.types),
                                           2 + floor(pg_temp.rnd(b.n || ':breadth') * 4)::int) - 1) j) AS types,
       ARRAY['en'] || ARRAY(SELECT l FROM (VALUES ('es', 0.22), ('zh', 0.06), ('vi', 0.03), ('ko', 0.03),
                                                 ('ar', 0.03), ('fr', 0.04), ('ru', 0.02), ('pt', 0.03),
                                                 ('hi', 0.04), ('tl', 0.02), ('de', 0.02)) v(l, p)
                            WHERE pg_temp.rnd(b.n || ':lang:' || l) < p ORDER BY l) AS languages,
       pg_temp.rnd(b.n || ':telehealth') < 0.75 AS telehealth,
       pg_temp.rnd(b.n || ':accepting') < 0.92 AS accepting,
       3 + floor(power(pg_temp.rnd(b.n || ':turnaround'), 2) * 19)::int AS turnaround_days,
       4 + floor(pg_temp.rnd(b.n || ':capacity') * 27)::int AS capacity
FROM base b JOIN gen_groups g ON g.name = b.grp;

-- Some reviewers are full (open_cases = capacity); the rest are partly loaded.
INSERT INTO specialists (id, name, specialty, institution_id, languages, telehealth, accepting,
                         turnaround_days, open_cases, capacity)
SELECT id, name, specialty, institution_id, languages, telehealth, accepting, turnaround_days,
       CASE WHEN pg_temp.rnd(n || ':full') < 0.06 THEN capacity
            ELSE floor(pg_temp.rnd(n || ':load') * capacity * 0.9)::int END,
       capacity
FROM gen_specialists
ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, specialty = EXCLUDED.specialty,
    institution_id = EXCLUDED.institution_id, languages = EXCLUDED.languages,
    telehealth = EXCLUDED.telehealth, accepting = EXCLUDED.accepting,
    turnaround_days = EXCLUDED.turnaround_days, open_cases = EXCLUDED.open_cases,
    capacity = EXCLUDED.capacity, updated_at = now()
WHERE (specialists.name, specialists.specialty, specialists.institution_id, specialists.languages,
       specialists.telehealth, specialists.accepting, specialists.turnaround_days,
       specialists.open_cases, specialists.capacity)
      IS DISTINCT FROM
      (EXCLUDED.name, EXCLUDED.specialty, EXCLUDED.institution_id, EXCLUDED.languages,
       EXCLUDED.telehealth, EXCLUDED.accepting, EXCLUDED.turnaround_days,
       EXCLUDED.open_cases, EXCLUDED.capacity);

INSERT INTO specialist_cancer_types (specialist_id, cancer_type)
SELECT s.id, t FROM gen_specialists s CROSS JOIN LATERAL unnest(s.types) t
ON CONFLICT DO NOTHING;

-- Medicare and self-pay almost everywhere; each commercial plan and
-- Medicaid at most centers.
INSERT INTO specialist_payers (specialist_id, payer_id)
SELECT s.id, p.id
FROM gen_specialists s
CROSS JOIN payers p
WHERE p.name IN (SELECT name FROM seed_payers)
  AND pg_temp.rnd(s.n || ':payer:' || p.name) <
      CASE p.kind WHEN 'medicare' THEN 0.95 WHEN 'self_pay' THEN 0.98 WHEN 'medicaid' THEN 0.6
                  WHEN 'employer' THEN 0.5 ELSE 0.7 END
ON CONFLICT DO NOTHING;

-- Every cancer type must have reviewers, or matching has nothing to rank.
DO $$
DECLARE missing text;
BEGIN
    SELECT string_agg(code, ', ') INTO missing FROM cancer_types ct
    WHERE NOT EXISTS (SELECT 1 FROM gen_groups g WHERE ct.code = ANY (g.types));
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'generate/directory.sql: no disease group reviews %', missing;
    END IF;
END $$;

DROP TABLE gen_specialists, gen_group_pick, gen_groups, gen_institutions;
DROP FUNCTION pg_temp.rnd(text);
