-- Reference vocabularies and the institution directory. Rows come from the
-- CSV files in sql/data (loaded by sql/seed/01_reference.sql).

CREATE TABLE cancer_types (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z0-9_]{1,64}$'),
    name        text NOT NULL,
    icd10_range text NOT NULL,
    category    text NOT NULL CHECK (category IN ('solid_tumor', 'hematologic', 'cns', 'skin', 'pediatric')),
    rare        boolean NOT NULL
);

CREATE TABLE specialties (
    code          text PRIMARY KEY CHECK (code ~ '^[a-z0-9_]{1,64}$'),
    name          text NOT NULL,
    nucc_taxonomy text NOT NULL
);

-- NCI-designated cancer centers and other hospitals. Basic-laboratory centers
-- see no patients (patient_care = false) and are never matched.
CREATE TABLE institutions (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name            text NOT NULL,
    city            text NOT NULL,
    state           text NOT NULL CHECK (state ~ '^[A-Z]{2}$'),
    nci_designation text CHECK (nci_designation IN ('comprehensive', 'clinical', 'basic_laboratory')),
    latitude        double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude       double precision CHECK (longitude BETWEEN -180 AND 180),
    patient_care    boolean NOT NULL DEFAULT true,
    retired_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (name, city, state)
);
