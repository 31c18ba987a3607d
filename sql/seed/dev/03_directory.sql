-- Development and test directory: a few non-NCI hospitals, payers, and a
-- deterministic set of fictional specialists across the patient-care centers
-- and all cancer types (sql/generate/directory.sql). Idempotent upserts.
--
-- The benchmark seeds more specialists through this same file:
--   psql -v specialist_count=50000 -f sql/seed/dev/03_directory.sql

\if :{?specialist_count}
\else
\set specialist_count 400
\endif

-- Community and regional hospitals that are not NCI-designated
-- (nci_designation NULL). Fictional names in real cities; the coordinates are
-- the city's, like those of the NCI centers.
CREATE TEMP TABLE seed_hospitals (name text, city text, state text, latitude double precision,
                                  longitude double precision);
INSERT INTO seed_hospitals VALUES
    ('Riverbend Regional Medical Center', 'Boise', 'ID', 43.615, -116.202),
    ('Prairie View Community Hospital', 'Fargo', 'ND', 46.877, -96.790),
    ('Bayside General Hospital', 'Mobile', 'AL', 30.694, -88.043),
    ('Cascade Valley Medical Center', 'Spokane', 'WA', 47.659, -117.426),
    ('Great Plains Regional Hospital', 'Wichita', 'KS', 37.692, -97.338),
    ('Lakeshore Community Hospital', 'Duluth', 'MN', 46.787, -92.101),
    ('Magnolia Regional Health Center', 'Jackson', 'MS', 32.299, -90.185),
    ('Big Sky Regional Hospital', 'Billings', 'MT', 45.783, -108.501),
    ('Red Rock Medical Center', 'Las Vegas', 'NV', 36.175, -115.137),
    ('Northern Lights Regional Hospital', 'Anchorage', 'AK', 61.218, -149.900),
    ('Tidewater General Hospital', 'Norfolk', 'VA', 36.847, -76.285),
    ('Sandhill Community Hospital', 'Lubbock', 'TX', 33.578, -101.855);

-- Ids are derived from the name so that documentation examples can name
-- a hospital that exists in every freshly seeded database.
INSERT INTO institutions (id, name, city, state, nci_designation, latitude, longitude, patient_care)
SELECT md5('cso-dev-institution-' || name)::uuid, name, city, state, NULL, latitude, longitude, true
FROM seed_hospitals
ON CONFLICT (name, city, state) DO UPDATE SET latitude = EXCLUDED.latitude,
    longitude = EXCLUDED.longitude
WHERE (institutions.latitude, institutions.longitude)
      IS DISTINCT FROM (EXCLUDED.latitude, EXCLUDED.longitude);

-- Payers the fictional specialists accept: the development payers of the
-- coverage seed (02_coverage.sql), by the same names, so that either seed
-- can run first; names that exist already are left as they are.
CREATE TEMP TABLE seed_payers (name text, kind text, adapter text);
INSERT INTO seed_payers VALUES
    ('Blue Summit Health', 'commercial', 'stub'),
    ('Northwind Health Plans', 'commercial', 'stub'),
    ('Medicare (Original, Part B)', 'medicare', 'stub'),
    ('Sunrise Health Medicaid', 'medicaid', 'stub'),
    ('Acme Manufacturing Employee Health Plan', 'employer', 'stub'),
    ('Self-pay', 'self_pay', 'none');

INSERT INTO payers (name, kind, adapter)
SELECT name, kind, adapter FROM seed_payers
ON CONFLICT (name) DO NOTHING;

\ir ../../generate/directory.sql

DROP TABLE seed_hospitals, seed_payers;
