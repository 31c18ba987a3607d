-- Reference data from the project's copies of the shipped CSV files.
-- Paths are relative to the project root (scripts/seed.sh runs from there).

CREATE TEMP TABLE tmp_cancer_types (code text, name text, icd10_range text, category text, rare boolean);
\copy tmp_cancer_types FROM 'sql/data/cancer_types.csv' WITH (FORMAT csv, HEADER true)
INSERT INTO cancer_types (code, name, icd10_range, category, rare)
SELECT code, name, icd10_range, category, rare FROM tmp_cancer_types
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, icd10_range = EXCLUDED.icd10_range,
    category = EXCLUDED.category, rare = EXCLUDED.rare;

CREATE TEMP TABLE tmp_specialties (code text, name text, nucc_taxonomy text);
\copy tmp_specialties FROM 'sql/data/specialties.csv' WITH (FORMAT csv, HEADER true)
INSERT INTO specialties (code, name, nucc_taxonomy)
SELECT code, name, nucc_taxonomy FROM tmp_specialties
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, nucc_taxonomy = EXCLUDED.nucc_taxonomy;

CREATE TEMP TABLE tmp_centers (name text, city text, state text, designation text,
                               latitude double precision, longitude double precision, patient_care boolean);
\copy tmp_centers FROM 'sql/data/nci_designated_centers.csv' WITH (FORMAT csv, HEADER true)
INSERT INTO institutions (name, city, state, nci_designation, latitude, longitude, patient_care)
SELECT name, city, state, designation, latitude, longitude, patient_care FROM tmp_centers
ON CONFLICT (name, city, state) DO UPDATE SET nci_designation = EXCLUDED.nci_designation,
    latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude,
    patient_care = EXCLUDED.patient_care, updated_at = now();
