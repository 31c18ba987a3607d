-- Development payers and the plans, members, benefit rules and networks the
-- stub eligibility adapter answers from. Payer and plan names are invented;
-- Medicare's figures follow Original Medicare Part B (20% coinsurance after
-- the Part B deductible, no networks, no cover abroad). Every statement is an
-- upsert, so the file can be re-run. Coverage periods are relative to the
-- current plan year so that "active" stays active.

-- ---------------------------------------------------------------- payers
-- Fixed ids, so that API examples and demos can name a payer; everything
-- else refers to payers (and institutions) by name. The directory seed
-- (03_directory.sql) adds the same payers by name if it runs first; a payer
-- that already exists under its name keeps its id.
CREATE TEMP TABLE seed_payers (id uuid, name text, kind text, adapter text);
INSERT INTO seed_payers VALUES
    ('2a3486a5-494b-430f-9051-58024dd64821', 'Blue Summit Health', 'commercial', 'stub'),
    ('913ff042-7925-4ffb-816a-176072228b6c', 'Northwind Health Plans', 'commercial', 'stub'),
    ('b99e5ad9-fd8d-43da-81ec-5b144c1ee361', 'Medicare (Original, Part B)', 'medicare', 'stub'),
    ('cb7f35dd-f54e-41b6-805d-6a5d4d2de2e1', 'Sunrise Health Medicaid', 'medicaid', 'stub'),
    ('d2a11725-30f9-412e-a199-d26766ca757a', 'Acme Manufacturing Employee Health Plan', 'employer', 'stub'),
    ('eb90d82f-eb7f-4c92-8224-6491be7e381d', 'Self-pay', 'self_pay', 'none'),
    -- For tests and demos of outages: one answers too late, one not at all.
    ('26360ffb-b0b2-433b-be9f-f735257d70d4', 'Test Payer: Slow Clearinghouse', 'commercial', 'slow'),
    ('7961e1b5-bd8d-4e64-8f36-14b755b29528', 'Test Payer: Outage', 'commercial', 'failing');

INSERT INTO payers (id, name, kind, adapter)
SELECT s.id, s.name, s.kind, s.adapter FROM seed_payers s
WHERE NOT EXISTS (SELECT 1 FROM payers p WHERE p.id = s.id OR p.name = s.name);

UPDATE payers p SET kind = s.kind, adapter = s.adapter, retired_at = NULL, version = p.version + 1,
    updated_at = now()
FROM seed_payers s
WHERE p.name = s.name
  AND (p.kind, p.adapter, p.retired_at IS NULL) IS DISTINCT FROM (s.kind, s.adapter, true);

-- ---------------------------------------------------------------- plans
CREATE TEMP TABLE seed_plans (payer text, code text, name text, insurance_type text,
                              second_opinion_required boolean, international_coverage boolean,
                              payer_messages jsonb);
INSERT INTO seed_plans VALUES
    ('Blue Summit Health', 'BSH-PPO-1500', 'Blue Summit PPO 1500', 'ppo', false, true,
     '["Out-of-network services apply to the out-of-network deductible.", "Care abroad is covered for emergencies and pre-approved consultations only."]'),
    ('Blue Summit Health', 'BSH-HMO-SELECT', 'Blue Summit HMO Select', 'hmo', false, false,
     '["A referral from the primary care physician is required for specialist visits."]'),
    ('Northwind Health Plans', 'NWH-EPO-CHOICE', 'Northwind Choice EPO', 'epo', true, false,
     '["Prior authorization is required for specialist consultations; call 1-800-555-0142.", "A second opinion is required before elective surgery or a new course of chemotherapy."]'),
    ('Medicare (Original, Part B)', 'MEDICARE-B', 'Original Medicare Part B', 'medicare_part_b', false, false,
     '["Part B covers a second opinion when surgery or a major treatment is proposed."]'),
    ('Sunrise Health Medicaid', 'SHM-MANAGED', 'Sunrise Medicaid Managed Care', 'medicaid', false, false,
     '["Out-of-network care requires prior authorization."]'),
    ('Acme Manufacturing Employee Health Plan', 'ACME-PPO', 'Acme Self-Funded PPO', 'ppo', true, true,
     '["Mandatory second-opinion program: cancer treatment plans need a second opinion before the plan pays."]');

INSERT INTO coverage_plans (payer_id, code, name, insurance_type, second_opinion_required,
                            international_coverage, payer_messages)
SELECT p.id, s.code, s.name, s.insurance_type, s.second_opinion_required, s.international_coverage,
       s.payer_messages
FROM seed_plans s JOIN payers p ON p.name = s.payer
ON CONFLICT (payer_id, code) DO UPDATE SET name = EXCLUDED.name, insurance_type = EXCLUDED.insurance_type,
    second_opinion_required = EXCLUDED.second_opinion_required,
    international_coverage = EXCLUDED.international_coverage,
    payer_messages = EXCLUDED.payer_messages, updated_at = now();

-- ---------------------------------------------------------------- benefit rules
-- copay and coinsurance: NULL when the rule has none (or the service is not covered).
CREATE TEMP TABLE seed_rules (plan text, service text, network text, covered boolean,
                              prior_auth_required boolean, referral_required boolean,
                              copay_cents integer, coinsurance_percent integer);
INSERT INTO seed_rules VALUES
    ('BSH-PPO-1500',   'second_opinion', 'in',  true,  false, false, 4000, 0),
    ('BSH-PPO-1500',   'second_opinion', 'out', true,  false, false, NULL, 40),
    ('BSH-PPO-1500',   'telehealth',     'in',  true,  false, false, 2500, 0),
    ('BSH-PPO-1500',   'telehealth',     'out', true,  false, false, NULL, 40),
    ('BSH-HMO-SELECT', 'second_opinion', 'in',  true,  false, true,  3000, 0),
    ('BSH-HMO-SELECT', 'second_opinion', 'out', false, false, false, NULL, NULL),
    ('BSH-HMO-SELECT', 'telehealth',     'in',  true,  false, true,  0,    0),
    ('BSH-HMO-SELECT', 'telehealth',     'out', false, false, false, NULL, NULL),
    ('NWH-EPO-CHOICE', 'second_opinion', 'in',  true,  true,  false, 5000, 10),
    ('NWH-EPO-CHOICE', 'second_opinion', 'out', false, false, false, NULL, NULL),
    ('NWH-EPO-CHOICE', 'telehealth',     'in',  true,  true,  false, 2000, 10),
    ('NWH-EPO-CHOICE', 'telehealth',     'out', false, false, false, NULL, NULL),
    ('MEDICARE-B',     'second_opinion', 'in',  true,  false, false, NULL, 20),
    ('MEDICARE-B',     'second_opinion', 'out', true,  false, false, NULL, 20),
    ('MEDICARE-B',     'telehealth',     'in',  true,  false, false, NULL, 20),
    ('MEDICARE-B',     'telehealth',     'out', true,  false, false, NULL, 20),
    ('SHM-MANAGED',    'second_opinion', 'in',  true,  false, true,  0,    0),
    ('SHM-MANAGED',    'second_opinion', 'out', true,  true,  true,  0,    0),
    ('SHM-MANAGED',    'telehealth',     'in',  true,  false, false, 0,    0),
    ('SHM-MANAGED',    'telehealth',     'out', false, false, false, NULL, NULL),
    ('ACME-PPO',       'second_opinion', 'in',  true,  false, false, 0,    0),
    ('ACME-PPO',       'second_opinion', 'out', true,  false, false, NULL, 30),
    ('ACME-PPO',       'telehealth',     'in',  true,  false, false, 0,    0),
    ('ACME-PPO',       'telehealth',     'out', true,  false, false, NULL, 30);

INSERT INTO coverage_benefit_rules (plan_id, service, network, covered, prior_auth_required,
                                    referral_required, copay_cents, coinsurance_percent)
SELECT cp.id, r.service, r.network, r.covered, r.prior_auth_required, r.referral_required,
       r.copay_cents, r.coinsurance_percent
FROM seed_rules r JOIN coverage_plans cp ON cp.code = r.plan
ON CONFLICT (plan_id, service, network) DO UPDATE SET covered = EXCLUDED.covered,
    prior_auth_required = EXCLUDED.prior_auth_required, referral_required = EXCLUDED.referral_required,
    copay_cents = EXCLUDED.copay_cents, coinsurance_percent = EXCLUDED.coinsurance_percent;

-- ---------------------------------------------------------------- networks
-- Institutions by name (never by id). Original Medicare has no network:
-- every institution that sees patients accepts it (04_medicare_network.sql,
-- after the directory seed has added its hospitals).
CREATE TEMP TABLE seed_networks (plan text, institution text);
INSERT INTO seed_networks VALUES
    ('BSH-PPO-1500', 'The University of Texas MD Anderson Cancer Center'),
    ('BSH-PPO-1500', 'Memorial Sloan Kettering Cancer Center'),
    ('BSH-PPO-1500', 'Dana-Farber/Harvard Cancer Center'),
    ('BSH-PPO-1500', 'Mayo Clinic Comprehensive Cancer Center'),
    ('BSH-PPO-1500', 'Sidney Kimmel Comprehensive Cancer Center at Johns Hopkins'),
    ('BSH-PPO-1500', 'Duke Cancer Institute'),
    ('BSH-PPO-1500', 'Robert H. Lurie Comprehensive Cancer Center of Northwestern University'),
    ('BSH-HMO-SELECT', 'Memorial Sloan Kettering Cancer Center'),
    ('BSH-HMO-SELECT', 'Mount Sinai Tisch Cancer Center'),
    ('BSH-HMO-SELECT', 'Laura and Isaac Perlmutter Cancer Center at NYU Langone Health'),
    ('BSH-HMO-SELECT', 'Herbert Irving Comprehensive Cancer Center (Columbia University)'),
    ('NWH-EPO-CHOICE', 'Fred Hutchinson/University of Washington/Seattle Children''s Cancer Consortium'),
    ('NWH-EPO-CHOICE', 'OHSU Knight Cancer Institute'),
    ('NWH-EPO-CHOICE', 'UCSF Helen Diller Family Comprehensive Cancer Center'),
    ('NWH-EPO-CHOICE', 'Stanford Cancer Institute'),
    ('SHM-MANAGED', 'The University of Texas MD Anderson Cancer Center'),
    ('SHM-MANAGED', 'Harold C. Simmons Comprehensive Cancer Center (UT Southwestern)'),
    ('SHM-MANAGED', 'Dan L Duncan Comprehensive Cancer Center (Baylor College of Medicine)'),
    ('SHM-MANAGED', 'Mays Cancer Center at UT Health San Antonio'),
    ('ACME-PPO', 'Case Comprehensive Cancer Center (Case Western Reserve University)'),
    ('ACME-PPO', 'The Ohio State University Comprehensive Cancer Center (The James)'),
    ('ACME-PPO', 'Mayo Clinic Comprehensive Cancer Center'),
    ('ACME-PPO', 'The University of Texas MD Anderson Cancer Center');

DO $$
DECLARE missing text;
BEGIN
    SELECT string_agg(DISTINCT s.institution, '; ') INTO missing
    FROM seed_networks s LEFT JOIN institutions i ON i.name = s.institution
    WHERE i.id IS NULL;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'coverage seed: institutions not found: %', missing;
    END IF;
END $$;

INSERT INTO coverage_plan_networks (plan_id, institution_id)
SELECT cp.id, i.id FROM seed_networks s
JOIN coverage_plans cp ON cp.code = s.plan
JOIN institutions i ON i.name = s.institution
ON CONFLICT DO NOTHING;

-- ---------------------------------------------------------------- members
-- Deterministic member ids for tests and demos. Commercial plans run by
-- calendar plan year; Medicare and Medicaid report a start date only.
CREATE TEMP TABLE seed_members (payer text, member_id text, plan text, group_number text,
                                group_name text, status text, coverage_start date, coverage_end date,
                                ded_in bigint, ded_out bigint, oop_in bigint, oop_out bigint);
INSERT INTO seed_members
SELECT m.payer, m.member_id, m.plan, m.group_number, m.group_name, m.status,
       (date_trunc('year', current_date) + make_interval(years => m.start_year))::date,
       CASE WHEN m.end_year IS NULL THEN NULL
            ELSE (date_trunc('year', current_date) + make_interval(years => m.end_year + 1) - interval '1 day')::date END,
       m.ded_in, m.ded_out, m.oop_in, m.oop_out
FROM (VALUES
    -- active PPO member: $850 of a $1,500 deductible left in network, $3,000 out
    ('Blue Summit Health', 'BSH100200301', 'BSH-PPO-1500', 'GRP-20417', 'Lakeside Software Inc.', 'active', 0, 0,
     85000::bigint, 300000::bigint, 420000::bigint, 900000::bigint),
    -- terminated PPO member: coverage ended with last plan year
    ('Blue Summit Health', 'BSH100200399', 'BSH-PPO-1500', 'GRP-20417', 'Lakeside Software Inc.', 'terminated', -1, -1,
     NULL, NULL, NULL, NULL),
    ('Blue Summit Health', 'BSH200300401', 'BSH-HMO-SELECT', 'GRP-31822', 'Harbor City Schools', 'active', 0, 0,
     0, NULL, 310000, NULL),
    -- EPO that needs prior authorization and a second opinion before treatment
    ('Northwind Health Plans', 'NWH500600701', 'NWH-EPO-CHOICE', 'NW-88120', 'Cascade Logistics LLC', 'active', 0, 0,
     120000, NULL, 515000, NULL),
    -- the Medicare Beneficiary Identifier CMS uses in its own examples
    ('Medicare (Original, Part B)', '1EG4TE5MK73', 'MEDICARE-B', NULL, NULL, 'active', -3, NULL,
     0, 0, NULL, NULL),
    ('Sunrise Health Medicaid', 'SHM900100201', 'SHM-MANAGED', NULL, NULL, 'active', -1, NULL,
     0, 0, 0, 0),
    ('Acme Manufacturing Employee Health Plan', 'ACM000777001', 'ACME-PPO', 'ACME-001', 'Acme Manufacturing Co.', 'active', 0, 0,
     50000, 150000, 250000, 600000)
) AS m (payer, member_id, plan, group_number, group_name, status, start_year, end_year, ded_in, ded_out, oop_in, oop_out);

INSERT INTO coverage_members (payer_id, member_id, plan_id, group_number, group_name, status,
                              coverage_start, coverage_end, deductible_remaining_in_cents,
                              deductible_remaining_out_cents, oop_remaining_in_cents, oop_remaining_out_cents)
SELECT p.id, s.member_id, cp.id, s.group_number, s.group_name, s.status, s.coverage_start, s.coverage_end,
       s.ded_in, s.ded_out, s.oop_in, s.oop_out
FROM seed_members s
JOIN payers p ON p.name = s.payer
JOIN coverage_plans cp ON cp.payer_id = p.id AND cp.code = s.plan
ON CONFLICT (payer_id, member_id) DO UPDATE SET plan_id = EXCLUDED.plan_id,
    group_number = EXCLUDED.group_number, group_name = EXCLUDED.group_name, status = EXCLUDED.status,
    coverage_start = EXCLUDED.coverage_start, coverage_end = EXCLUDED.coverage_end,
    deductible_remaining_in_cents = EXCLUDED.deductible_remaining_in_cents,
    deductible_remaining_out_cents = EXCLUDED.deductible_remaining_out_cents,
    oop_remaining_in_cents = EXCLUDED.oop_remaining_in_cents,
    oop_remaining_out_cents = EXCLUDED.oop_remaining_out_cents, updated_at = now();
