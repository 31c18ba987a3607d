"""Whole-database checks for the security and fault tests.

`snapshot()` / `nothing_stored(action)`: did a request write anything? Every
table of the schema is fingerprinted by (row count, newest xmin), so an
insert, update or delete anywhere shows, without the test knowing which
tables a route writes. Tables that change on their own (a background worker)
are noticed by sampling twice before the action and left out.

`integrity_problems()`: what a crash, an outage or a race must never leave
behind: a case without its status history, audit row or case.created event;
a committed Idempotency-Key without its response; a document without its
bytes (or with other bytes than its size and digest say); an event about a
case that does not exist. A module that adds tables whose rows come in parts
adds its check to CHECKS.
"""
from .harness import sql

# Written by refusals and by idempotency claims on purpose.
ALWAYS_WRITTEN = {"audit_events", "idempotency_keys"}

_FINGERPRINT = """
SELECT t.table_name,
       (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I', t.table_name),
                                            false, true, '')))[1]::text,
       (xpath('/row/x/text()', query_to_xml(format('SELECT max(xmin::text::bigint) AS x FROM %I',
                                                   t.table_name), false, true, '')))[1]::text
FROM information_schema.tables t
WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE'
ORDER BY 1
"""


def snapshot():
    """{table: (row count, newest xmin)} for every table."""
    return {row[0]: (row[1], row[2]) for row in sql(_FINGERPRINT)}


def changed(before, after):
    return {t for t in set(before) | set(after) if before.get(t) != after.get(t)}


def nothing_stored(action, ignore=()):
    """Runs action(); returns (its result, sorted tables it changed). Tables
    that change between two samples before the action are not counted."""
    s0 = snapshot()
    s1 = snapshot()
    result = action()
    s2 = snapshot()
    noisy = changed(s0, s1)
    return result, sorted(changed(s1, s2) - noisy - ALWAYS_WRITTEN - set(ignore))


# (description, query returning the offending rows' ids, the timestamp that
# places a row in a test's window). Each must return no row at any time a
# test looks. `{since}` becomes "AND <timestamp> >= <start of the test>":
# other tests plant rows by SQL on purpose (a document row without bytes, a
# status set directly), so a fault test judges what was written while it ran.
CHECKS = [
    ("case without a status-history row",
     "SELECT c.id FROM cases c WHERE NOT EXISTS "
     "(SELECT 1 FROM case_status_history h WHERE h.case_id = c.id) {since}", "c.created_at"),
    ("case whose status is not its last history entry",
     "SELECT c.id FROM cases c WHERE c.status IS DISTINCT FROM (SELECT h.to_status "
     "FROM case_status_history h WHERE h.case_id = c.id ORDER BY h.id DESC LIMIT 1) {since}",
     "c.updated_at"),
    # set-based (events has no case_id index: a per-case subquery is quadratic)
    ("case without exactly one case.created event",
     "SELECT c.id FROM cases c LEFT JOIN (SELECT case_id, count(*) AS n FROM events "
     "WHERE type = 'case.created' GROUP BY case_id) e ON e.case_id = c.id "
     "WHERE e.n IS DISTINCT FROM 1 {since}", "c.created_at"),
    ("case without its case.create audit row",
     "SELECT c.id FROM cases c LEFT JOIN (SELECT DISTINCT case_id FROM audit_events "
     "WHERE action = 'case.create' AND outcome = 'success') a ON a.case_id = c.id "
     "WHERE a.case_id IS NULL {since}", "c.created_at"),
    ("event about a case that does not exist",
     "SELECT e.id FROM events e WHERE e.case_id IS NOT NULL AND NOT EXISTS "
     "(SELECT 1 FROM cases c WHERE c.id = e.case_id) {since}", "e.occurred_at"),
    ("committed Idempotency-Key without its stored response",
     "SELECT k.subject || ' ' || k.key FROM idempotency_keys k WHERE k.status IS NULL {since}",
     "k.created_at"),
    ("document file without its content",
     "SELECT d.id FROM documents d WHERE d.media_type IS NOT NULL AND NOT EXISTS "
     "(SELECT 1 FROM document_contents x WHERE x.document_id = d.id) {since}", "d.created_at"),
    ("document whose content differs from its size or SHA-256",
     "SELECT d.id FROM documents d JOIN document_contents x ON x.document_id = d.id "
     "WHERE (octet_length(x.content) <> d.size_bytes "
     "OR encode(sha256(x.content), 'hex') <> d.sha256) {since}", "d.created_at"),
    ("document content without its document",
     "SELECT x.document_id FROM document_contents x WHERE NOT EXISTS "
     "(SELECT 1 FROM documents d WHERE d.id = x.document_id)", None),
]


def audit_by_request_prefix(prefix):
    """{request_id: (status, outcome, actor_role)} of the audit rows whose
    request id starts with prefix (tests give each request an X-Request-Id
    under one prefix per test: thousands of ids do not fit a command line)."""
    assert prefix and "'" not in prefix and "%" not in prefix and "_" not in prefix
    rows = sql(f"SELECT request_id, status, outcome, coalesce(actor_role, '') FROM audit_events "
               f"WHERE request_id LIKE '{prefix}%'")
    return {r[0]: (int(r[1]), r[2], r[3]) for r in rows}


def db_now():
    """The database's clock, to start a window for integrity_problems."""
    return sql("SELECT now()")[0][0]


def integrity_problems(since=None):
    """['<check>: <ids>'] for every check that finds rows (written at or
    after `since`, a timestamp from db_now(), when given)."""
    out = []
    for what, query, ts in CHECKS:
        cond = f"AND {ts} >= '{since}'::timestamptz" if since and ts else ""
        rows = sql(query.format(since=cond) + " LIMIT 20")
        if rows:
            out.append(f"{what}: {', '.join(r[0] for r in rows)}")
    return out
