-- Insurance coverage: the tables the stub eligibility adapter answers from
-- (plans, members, benefit rules, plan networks) and the stored results of
-- coverage checks. Owned by internal/coverage.

-- Payers are edited by admins with If-Match; version is their ETag.
ALTER TABLE payers ADD COLUMN version integer NOT NULL DEFAULT 1;

-- A payer's products. The stub adapter reads these; a clearing-house adapter
-- answers from the payer itself and never needs a row here.
CREATE TABLE coverage_plans (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    payer_id                uuid NOT NULL REFERENCES payers (id),
    code                    text NOT NULL CHECK (code ~ '^[A-Z0-9][A-Z0-9-]{0,39}$'),
    name                    text NOT NULL,
    -- Readable form of X12 271 EB04 / FHIR Coverage.type.
    insurance_type          text NOT NULL CHECK (insurance_type IN ('ppo', 'hmo', 'epo', 'pos', 'indemnity',
                                'medicare_part_b', 'medicare_advantage', 'medicaid')),
    -- The plan makes a second opinion a condition of paying for treatment.
    second_opinion_required boolean NOT NULL DEFAULT false,
    international_coverage  boolean NOT NULL DEFAULT false,
    -- Free-text notes the payer returns with every answer for this plan.
    payer_messages          jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(payer_messages) = 'array'),
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (payer_id, code),
    UNIQUE (id, payer_id)
);

-- Enrolled members as the payer knows them. Deductible and out-of-pocket
-- remaining are the member's accumulators for the plan year, per network tier
-- (NULL: the plan has no such accumulator, e.g. no out-of-network benefit).
CREATE TABLE coverage_members (
    id                             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    payer_id                       uuid NOT NULL REFERENCES payers (id),
    member_id                      text NOT NULL CHECK (member_id ~ '^[A-Z0-9][A-Z0-9-]{0,79}$'),
    plan_id                        uuid NOT NULL,
    group_number                   text,
    group_name                     text,
    status                         text NOT NULL CHECK (status IN ('active', 'terminated')),
    coverage_start                 date NOT NULL,
    coverage_end                   date CHECK (coverage_end IS NULL OR coverage_end >= coverage_start),
    deductible_remaining_in_cents  bigint CHECK (deductible_remaining_in_cents >= 0),
    deductible_remaining_out_cents bigint CHECK (deductible_remaining_out_cents >= 0),
    oop_remaining_in_cents         bigint CHECK (oop_remaining_in_cents >= 0),
    oop_remaining_out_cents        bigint CHECK (oop_remaining_out_cents >= 0),
    created_at                     timestamptz NOT NULL DEFAULT now(),
    updated_at                     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (payer_id, member_id),
    -- a member's plan belongs to the member's payer
    FOREIGN KEY (plan_id, payer_id) REFERENCES coverage_plans (id, payer_id)
);

-- What a plan pays for a service, in and out of its network.
CREATE TABLE coverage_benefit_rules (
    plan_id             uuid NOT NULL REFERENCES coverage_plans (id),
    service             text NOT NULL CHECK (service IN ('second_opinion', 'telehealth')),
    network             text NOT NULL CHECK (network IN ('in', 'out')),
    covered             boolean NOT NULL,
    prior_auth_required boolean NOT NULL DEFAULT false,
    referral_required   boolean NOT NULL DEFAULT false,
    copay_cents         integer CHECK (copay_cents >= 0),
    coinsurance_percent integer CHECK (coinsurance_percent BETWEEN 0 AND 100),
    PRIMARY KEY (plan_id, service, network)
);

-- Network contracts are with institutions: a plan's network is a set of them.
CREATE TABLE coverage_plan_networks (
    plan_id        uuid NOT NULL REFERENCES coverage_plans (id),
    institution_id uuid NOT NULL REFERENCES institutions (id),
    PRIMARY KEY (plan_id, institution_id)
);
CREATE INDEX coverage_plan_networks_institution_idx ON coverage_plan_networks (institution_id);

-- The service only reads the stub's tables; they are seeded as the owner.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON coverage_plans, coverage_members, coverage_benefit_rules,
    coverage_plan_networks FROM cso_app;

-- One eligibility inquiry for a case and the payer's answer, shaped like an
-- X12 271 / FHIR CoverageEligibilityResponse. Patient data: member id and the
-- answer are served under the case's access rule and audited.
CREATE TABLE coverage_checks (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    case_id                 uuid NOT NULL REFERENCES cases (id),
    payer_id                uuid NOT NULL REFERENCES payers (id),
    member_id               text NOT NULL CHECK (member_id ~ '^[A-Z0-9][A-Z0-9-]{0,79}$'),
    -- The provider asked about: a specialist (resolved to their institution)
    -- or an institution; both NULL when none was asked about.
    specialist_id           uuid REFERENCES specialists (id),
    institution_id          uuid REFERENCES institutions (id),
    adapter                 text NOT NULL,
    outcome                 text NOT NULL
                            CHECK (outcome IN ('active', 'inactive', 'member_not_found', 'payer_unavailable', 'error')),
    -- Set when the adapter answered from coverage_plans (the stub); a
    -- clearing-house adapter leaves it NULL. Matching joins it to
    -- coverage_plan_networks (see case_latest_active_coverage).
    plan_id                 uuid REFERENCES coverage_plans (id),
    plan_name               text,
    group_number            text,
    group_name              text,
    insurance_type          text,
    coverage_start          date,
    coverage_end            date,
    -- The asked provider's network status as the payer reported it.
    in_network              boolean,
    -- Benefit objects (covered, in_network, prior_authorization_required, ...).
    second_opinion          jsonb,
    telehealth              jsonb,
    second_opinion_required boolean,
    international_coverage  boolean,
    messages                jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(messages) = 'array'),
    raw                     jsonb,       -- adapter payload, for support staff (admins)
    duration_ms             integer NOT NULL CHECK (duration_ms >= 0),
    checked_by_sub          text NOT NULL,
    checked_by_role         text NOT NULL CHECK (checked_by_role IN ('patient', 'navigator', 'admin')),
    created_at              timestamptz NOT NULL DEFAULT now(),
    CHECK (specialist_id IS NULL OR institution_id IS NOT NULL),
    CHECK (outcome IN ('active', 'inactive') OR (plan_id IS NULL AND second_opinion IS NULL AND telehealth IS NULL))
);
CREATE INDEX coverage_checks_case_idx ON coverage_checks (case_id, created_at DESC, id DESC);
CREATE INDEX coverage_checks_case_active_idx ON coverage_checks (case_id, created_at DESC, id DESC)
    WHERE outcome = 'active';
-- A check is a record of what a payer said at a time: never rewritten.
REVOKE UPDATE, DELETE, TRUNCATE ON coverage_checks FROM cso_app;

-- The latest check per case whose outcome was active. Matching asks "is
-- institution X in the network of this case's plan" with one join:
--   LEFT JOIN case_latest_active_coverage lc ON lc.case_id = $1
--   LEFT JOIN coverage_plan_networks pn ON pn.plan_id = lc.plan_id AND pn.institution_id = s.institution_id
-- (pn.plan_id IS NOT NULL: in network; lc.plan_id IS NULL: unknown).
CREATE VIEW case_latest_active_coverage AS
SELECT DISTINCT ON (case_id) case_id, id AS check_id, payer_id, plan_id, coverage_end, created_at AS checked_at
FROM coverage_checks
WHERE outcome = 'active'
ORDER BY case_id, created_at DESC, id DESC;
