"""Fault tests (issue 8): database outage, SIGKILL, SIGTERM, two servers on one database."""
