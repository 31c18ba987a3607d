-- Original Medicare has no network: every institution that sees patients
-- accepts it, the NCI centers (01_reference) and the directory seed's other
-- hospitals (03_directory) alike. Runs after both; an upsert, safe to re-run.
INSERT INTO coverage_plan_networks (plan_id, institution_id)
SELECT cp.id, i.id FROM coverage_plans cp, institutions i
WHERE cp.code = 'MEDICARE-B' AND i.patient_care AND i.retired_at IS NULL
ON CONFLICT DO NOTHING;
