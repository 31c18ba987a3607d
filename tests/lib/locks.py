"""A row held locked by another database session, for tests of lock waits."""
import os
import subprocess
import uuid

from lib import harness
from lib.harness import sql, wait_until


class RowLock:
    """A session as the schema owner that holds one row locked (SELECT ...
    FOR UPDATE in an open transaction) until release(): a request that
    updates the row waits in the database, in flight for as long as the test
    wants (up to the service's lock timeout, DB_LOCK_TIMEOUT_MS), and the test can see that
    it waits: pg_locks lists its lock, not granted, blocked by this session."""

    def __init__(self, table, row_id):
        self.app = "row-lock-" + uuid.uuid4().hex[:8]
        env = dict(os.environ, PGPASSWORD="cso_owner_dev", PGAPPNAME=self.app)
        self.proc = subprocess.Popen(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", harness.PGPORT,
             "-U", "cso_owner", "-d", "cso"],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.proc.stdin.write(f"BEGIN;\nSELECT 1 FROM {table} WHERE id = '{row_id}' FOR UPDATE;\n")
        self.proc.stdin.flush()
        self.pid = wait_until(self._holder, 20, f"session {self.app} to lock the row")

    def _holder(self):
        rows = sql(f"SELECT pid FROM pg_stat_activity WHERE application_name = '{self.app}'"
                   " AND state = 'idle in transaction'")
        return rows[0][0] if rows else None

    def waiters(self):
        """How many sessions wait for this one's lock."""
        return int(sql("SELECT count(*) FROM pg_locks WHERE NOT granted"
                       f" AND {self.pid} = ANY (pg_blocking_pids(pid))")[0][0])

    def release(self):
        if not self.proc.stdin.closed:
            try:
                self.proc.stdin.write("COMMIT;\n")
            finally:
                self.proc.stdin.close()
        rc = self.proc.wait(timeout=30)
        assert rc == 0, self.proc.stderr.read()
