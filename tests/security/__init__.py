"""Security tests (issue 8): JWT attacks, OWASP API1/API3/API4/API5, injection."""
