-- Benchmark volume, on top of the migrations and sql/seed (reference data:
-- cancer types, specialties, the NCI centers). Run once per benchmark cluster
-- as the schema owner. Set-based (generate_series) so that it loads in well
-- under a minute on 2 cores.
--
--   1,000 payers (one plan each)  50,000 specialists (the directory generator's, or
--                                 simple ones with 3 cancer types and 5 payers each)
--   100,000 cases                300,000 documents (metadata only; no bytes)
--   200,000 medications          10,000 accepted assignments (specialist visibility)
--
-- Subjects (the JWT sub claims bench/run.sh mints tokens for):
--   patients    bench-p-0 .. bench-p-999   case n belongs to bench-p-(n % 1000)
--   navigators  bench-nav-0 .. bench-nav-199 (see every case)
--   specialists the first 200 specialists with accepted assignments (bench/run.sh)
\set ON_ERROR_STOP 1

BEGIN;

INSERT INTO payers (name, kind, adapter)
SELECT 'Bench Health Plan ' || g,
       (ARRAY['commercial', 'medicare', 'medicaid', 'employer', 'self_pay'])[1 + g % 5],
       'stub'
FROM generate_series(1, 1000) g
ON CONFLICT (name) DO NOTHING;

CREATE TEMP TABLE bench_codes AS
SELECT array_agg(code ORDER BY code) AS cancer, (SELECT array_agg(code ORDER BY code) FROM specialties) AS spec,
       (SELECT array_agg(id ORDER BY name) FROM institutions WHERE patient_care AND retired_at IS NULL) AS inst,
       (SELECT array_agg(id ORDER BY name) FROM payers) AS payer
FROM cancer_types;

-- 50,000 specialists: the directory generator (sql/generate/directory.sql,
-- run by bench/run.sh through sql/seed/dev/03_directory.sql when the tree has it)
-- provides them; otherwise, or for what it left short, simple ones here.
INSERT INTO specialists (name, specialty, institution_id, languages, telehealth, accepting,
                         turnaround_days, capacity)
SELECT 'Dr. Bench ' || g,
       b.spec[1 + g % array_length(b.spec, 1)],
       b.inst[1 + g % array_length(b.inst, 1)],
       CASE WHEN g % 4 = 0 THEN '{en,es}'::text[] ELSE '{en}'::text[] END,
       g % 3 <> 0, g % 10 <> 0, 3 + g % 20, 30
FROM generate_series(1, 50000 - (SELECT count(*) FROM specialists)) g, bench_codes b;

CREATE TEMP TABLE bench_specialists AS
SELECT id, row_number() OVER (ORDER BY id) AS n FROM specialists WHERE name LIKE 'Dr. Bench %';

INSERT INTO specialist_cancer_types (specialist_id, cancer_type)
SELECT DISTINCT s.id, b.cancer[1 + (s.n * 7 + k * 13) % array_length(b.cancer, 1)]
FROM bench_specialists s, bench_codes b, generate_series(0, 2) k
ON CONFLICT DO NOTHING;

INSERT INTO specialist_payers (specialist_id, payer_id)
SELECT DISTINCT s.id, b.payer[1 + (s.n * 11 + k * 197) % array_length(b.payer, 1)]
FROM bench_specialists s, bench_codes b, generate_series(0, 4) k
ON CONFLICT DO NOTHING;

-- One plan per bench payer where the schema has plans (coverage module).
SELECT to_regclass('coverage_plans') IS NOT NULL AS has_plans \gset
\if :has_plans
INSERT INTO coverage_plans (payer_id, code, name, insurance_type)
SELECT p.id, 'BENCH-' || row_number() OVER (ORDER BY p.name), p.name || ' PPO', 'ppo'
FROM payers p WHERE p.name LIKE 'Bench Health Plan %'
ON CONFLICT DO NOTHING;
-- 50 active members per plan (member ids 1000001-1000050, as bench/lua/coverage.lua
-- and bench/pgbench/coverage.pgb send them) and the plan's four benefit rules, so
-- that a check walks the stub adapter's whole answer (member, rules) as for a real
-- patient, not the short "member not found" path.
INSERT INTO coverage_members (payer_id, plan_id, member_id, group_number, group_name, status,
                              coverage_start, coverage_end, deductible_remaining_in_cents,
                              deductible_remaining_out_cents, oop_remaining_in_cents,
                              oop_remaining_out_cents)
SELECT cp.payer_id, cp.id, (1000000 + k)::text, 'GRP-' || (k % 7), 'Bench Employer ' || (k % 7),
       'active', date '2026-01-01', date '2027-12-31', 50000, 150000, 300000, 900000
FROM coverage_plans cp CROSS JOIN generate_series(1, 50) k
WHERE cp.code LIKE 'BENCH-%'
ON CONFLICT DO NOTHING;
INSERT INTO coverage_benefit_rules (plan_id, service, network, covered, prior_auth_required,
                                    referral_required, copay_cents, coinsurance_percent)
SELECT cp.id, r.service, r.network, r.network = 'in' OR r.service = 'second_opinion', false, false,
       CASE WHEN r.network = 'in' THEN 4000 END,
       CASE WHEN r.network = 'in' THEN 0 WHEN r.service = 'second_opinion' THEN 40 END
FROM coverage_plans cp
CROSS JOIN (VALUES ('second_opinion', 'in'), ('second_opinion', 'out'), ('telehealth', 'in'),
                   ('telehealth', 'out')) r (service, network)
WHERE cp.code LIKE 'BENCH-%'
ON CONFLICT DO NOTHING;
ANALYZE coverage_plans, coverage_members, coverage_benefit_rules;
\endif

INSERT INTO cases (patient_sub, created_by_sub, created_by_role, status, patient_name, patient_dob,
                   patient_sex, patient_contact, patient_state, patient_zip, patient_lat, patient_lon,
                   preferred_language, cancer_type, diagnosis_date, stage, histology, treatment_plan,
                   reasons, urgency, urgency_reason, telehealth_ok, max_travel_km, languages,
                   questions, created_at, updated_at, submitted_at)
SELECT 'bench-p-' || (g % 1000),
       CASE WHEN g % 5 = 0 THEN 'bench-nav-' || (g % 200) ELSE 'bench-p-' || (g % 1000) END,
       CASE WHEN g % 5 = 0 THEN 'navigator' ELSE 'patient' END,
       (ARRAY['draft', 'submitted', 'in_review', 'opinion_ready', 'closed'])[1 + g % 5],
       'Bench Patient ' || g,
       date '1940-01-01' + (g % 25000),
       (ARRAY['female', 'male', 'intersex', 'unknown'])[1 + g % 4],
       jsonb_build_object('email', 'patient' || g || '@example.org', 'phone', '+1-555-' || lpad((g % 10000)::text, 4, '0')),
       (ARRAY['TX', 'CA', 'NY', 'FL', 'WA', 'IL', 'MA', 'GA'])[1 + g % 8],
       lpad((10000 + g % 89999)::text, 5, '0'),
       25 + (g % 2300) / 100.0, -120 + (g % 4500) / 100.0,
       CASE WHEN g % 4 = 0 THEN 'es' ELSE 'en' END,
       b.cancer[1 + g % array_length(b.cancer, 1)],
       date '2025-01-01' + (g % 300),
       '{"system": "ajcc8", "t": "T2", "n": "N1", "m": "M0", "group": "IIB"}'::jsonb,
       'Invasive carcinoma, grade 2',
       '{"summary": "Neoadjuvant chemotherapy, then surgery and radiation.", "intent": "curative",
         "modalities": ["chemotherapy", "surgery", "radiation"],
         "proposed_by": {"physician": "Dr. A. Smith", "institution": "Community Hospital"}}'::jsonb,
       '{confirm_stage,explore_options}', (ARRAY['routine', 'soon', 'urgent'])[1 + g % 3],
       CASE WHEN g % 3 = 0 THEN NULL ELSE 'Treatment starts within weeks.' END,
       true, 300, '{en}', '["Is surgery first an option?"]'::jsonb,
       now() - (g * interval '5 minutes'), now() - (g * interval '4 minutes'),
       CASE WHEN g % 5 = 0 THEN NULL ELSE now() - (g * interval '3 minutes') END
FROM generate_series(1, 100000) g, bench_codes b;

CREATE TEMP TABLE bench_cases AS
SELECT id, row_number() OVER (ORDER BY created_at DESC, id) AS n FROM cases
WHERE patient_sub LIKE 'bench-p-%';

INSERT INTO case_status_history (case_id, from_status, to_status, actor_sub, actor_role, at)
SELECT c.id, NULL, 'draft', c.created_by_sub, c.created_by_role, c.created_at
FROM cases c WHERE c.patient_sub LIKE 'bench-p-%';

INSERT INTO documents (case_id, kind, title, media_type, size_bytes, sha256, uploaded_by_sub,
                       uploaded_by_role)
SELECT c.id, k.kind, k.title, k.media, 50000 + (c.n * 37 + k.i) % 5000000,
       encode(sha256((c.id::text || k.kind)::bytea), 'hex'), 'bench-p-' || (c.n % 1000), 'patient'
FROM bench_cases c,
     (VALUES (1, 'pathology_report', 'Surgical pathology report', 'application/pdf'),
             (2, 'imaging', 'CT chest abdomen pelvis', 'application/dicom'),
             (3, 'medication_list', 'Current medications', 'application/pdf')) k(i, kind, title, media);

INSERT INTO medications (case_id, drug, dose, unit, route, frequency, start_date, created_by_sub)
SELECT c.id, m.drug, m.dose, m.unit, m.route, m.freq, date '2025-01-01' + (c.n % 300)::int,
       'bench-p-' || (c.n % 1000)
FROM bench_cases c,
     (VALUES ('letrozole', 2.5, 'mg', 'oral', 'daily'),
             ('ondansetron', 8, 'mg', 'oral', 'as needed')) m(drug, dose, unit, route, freq);

-- The events feed: one case.created event per seeded case (ids only).
INSERT INTO events (type, case_id, subject_type, subject_id, actor_role)
SELECT 'case.created', c.id, 'case', c.id, 'patient' FROM bench_cases c ORDER BY c.n;

-- Specialists see a case only through a live assignment: 10,000 cases are
-- assigned (accepted) to specialists in id order, each up to its free capacity.
CREATE TEMP TABLE bench_slots AS
SELECT s.id AS specialist_id, row_number() OVER (ORDER BY s.id, k) AS slot
FROM specialists s, generate_series(1, 100) k
WHERE s.retired_at IS NULL AND k <= s.capacity - s.open_cases;

INSERT INTO assignments (case_id, specialist_id, status, due_at, created_by_sub)
SELECT c.id, sl.specialist_id, 'accepted', now() + interval '10 days', 'bench-nav-0'
FROM bench_cases c JOIN bench_slots sl ON sl.slot = c.n
WHERE c.n <= 10000;

UPDATE specialists s SET open_cases = s.open_cases + a.n
FROM (SELECT specialist_id, count(*) AS n FROM assignments WHERE created_by_sub = 'bench-nav-0'
      GROUP BY specialist_id) a
WHERE s.id = a.specialist_id;

COMMIT;

VACUUM (ANALYZE) payers, specialists, specialist_cancer_types, specialist_payers, cases,
    case_status_history, documents, medications, assignments, audit_events, events;
