"""Webhook SSRF by name (issue 15, item 4), on servers of this module's own
with WEBHOOK_ALLOW_PRIVATE=0 (the shared server allows loopback so that the
other webhook tests can deliver to their receivers).

Registration resolves the host and refuses, with 422 destination-not-allowed
and nothing stored, every textual form of a non-public address - trailing
dots, decimal/octal/hex/short IPv4, IPv6 forms embedding IPv4, zone ids,
case, percent-encoding - and names that resolve to loopback or do not
resolve. Delivery checks again before connecting and records a refusal as a
failed attempt. That the worker connects only to the address it checked (the
DNS-rebinding case, which needs a resolver the test controls) is unit-tested:
tests/unit/webhooks_test.c, outbound_pin and outbound_host_forms.
"""
import uuid

from lib.harness import count, expect, expect_problem, sql, test, token
from lib.integrity import nothing_stored
from test_webhooks import SECRET, Scene, attempts, create_case, wait_attempts

HOSTILE = [
    # IPv4 loopback in every spelling
    "http://127.0.0.1/x", "http://127.0.0.1./x", "http://127.0.0.1%2e/x", "http://127.1/x",
    "http://127.1./x", "http://2130706433/x", "http://2130706433./x", "http://0x7f000001/x",
    "http://0x7f000001./x", "http://0x7f.1/x", "http://0x7F.0x0.0x0.0x1/x",
    "http://017700000001/x", "http://0177.0.0.1/x", "http://%31%32%37.0.0.1/x",
    "http://127.0.0.1:8080/x", "http://0/x", "http://0.0.0.0/x",
    # other non-public ranges
    "http://10.1.2.3/x", "http://172.16.0.1/x", "http://192.168.0.10/x",
    "http://169.254.169.254/latest/meta-data/", "http://169.254.169.254./latest/meta-data/",
    "http://100.64.0.1/x", "http://198.18.0.1/x", "http://192.0.2.1/x", "http://203.0.113.5/x",
    "http://224.0.0.1/x", "http://255.255.255.255/x", "http://240.0.0.1/x",
    # IPv6 forms
    "http://[::1]/x", "http://[::]/x", "http://[0:0:0:0:0:0:0:1]/x", "http://[::ffff:127.0.0.1]/x",
    "http://[::ffff:7f00:1]/x", "http://[::FFFF:7F00:1]/x", "http://[0:0:0:0:0:ffff:127.0.0.1]/x",
    "http://[::ffff:169.254.169.254]/x", "http://[64:ff9b::7f00:1]/x", "http://[2002:7f00:1::1]/x",
    "http://[fd00::1]/x", "http://[fe80::1]/x", "http://[fe80::1%25eth0]/x", "http://[::1%25lo]/x",
    "http://[ff02::1]/x", "http://[2001:db8::1]/x",
    # names: this machine, and one that does not resolve (RFC 6761 .invalid)
    "http://localhost/x", "http://localhost./x", "http://LOCALHOST/x", "http://LocalHost./x",
    "http://api.localhost/x", "http://%6c%6f%63%61%6c%68%6f%73%74/x",
    "http://no-such-host.invalid/x",
]


def admin():
    return token("admin")


def body(url):
    return {"url": url, "secret": SECRET, "event_types": ["*"]}


def refused(resp, url):
    """'' if resp is the 422 the brief asks for, else what was wrong."""
    if resp.status != 422:
        return f"{url}: {resp.status}"
    p = resp.json
    if not p["type"].endswith("/destination-not-allowed"):
        return f"{url}: type {p['type']}"
    if not any(e["field"] == "url" and e["message"] for e in p.get("errors", [])) or \
            not p.get("detail"):
        return f"{url}: no reason given: {p}"
    return ""


@test
def hostile_webhook_urls_are_refused_at_registration_and_nothing_is_stored():
    with Scene() as sc:
        srv = sc.server(WEBHOOK_ALLOW_PRIVATE="0", WEBHOOK_WORKERS="0")
        wrong = []
        for url in HOSTILE:
            r, tables = nothing_stored(lambda u=url: srv.api.post("/v1/webhooks", admin(), body(u)))
            if r.status == 201:
                sc.webhooks.append(r.json["id"])
            why = refused(r, url) or (f"{url}: wrote {tables}" if tables else "")
            if why:
                wrong.append(why)
        assert not wrong, "not refused with 422 destination-not-allowed:\n" + "\n".join(wrong)
        # a public address is still fine, in any spelling
        for url in ("https://93.184.216.34/x", "https://1572395042/x", "https://[2606:4700:4700::1111]/x"):
            w = expect(srv.api.post("/v1/webhooks", admin(), body(url)), 201, url).json
            sc.webhooks.append(w["id"])


@test
def a_patch_to_a_hostile_url_is_refused_and_nothing_is_stored():
    with Scene() as sc:
        srv = sc.server(WEBHOOK_ALLOW_PRIVATE="0", WEBHOOK_WORKERS="0")
        w = expect(srv.api.post("/v1/webhooks", admin(), body("https://93.184.216.34/ok")), 201).json
        sc.webhooks.append(w["id"])
        path = f"/v1/webhooks/{w['id']}"
        wrong = []
        for url in ("http://127.0.0.1./x", "http://0x7f.1/x", "http://[::ffff:7f00:1]/x",
                    "http://localhost./x", "http://no-such-host.invalid/x"):
            r, tables = nothing_stored(lambda u=url: srv.api.patch(
                path, admin(), {"url": u}, headers={"If-Match": '"1"'}))
            why = refused(r, url) or (f"{url}: wrote {tables}" if tables else "")
            if why:
                wrong.append(why)
            if r.status == 200:
                break  # the version moved on; the rest would be 412s
        assert not wrong, "not refused with 422 destination-not-allowed:\n" + "\n".join(wrong)
        g = expect(srv.api.get(path, admin()), 200).json
        assert g["url"] == "https://93.184.216.34/ok" and g["version"] == 1, g
        # the precondition still answers first
        expect_problem(srv.api.patch(path, admin(), {"url": "http://127.0.0.1./x"},
                                     headers={"If-Match": '"7"'}), 412)


@test
def the_escape_hatch_still_lets_tests_register_loopback():
    """WEBHOOK_ALLOW_PRIVATE=1 (the shared server): the rule is off, and
    names are not resolved at registration."""
    with Scene() as sc:
        for url in ("http://127.0.0.1./x", "http://localhost/x", "http://[::1]/x",
                    "https://crm.example.org/x"):
            sc.webhook(url)


@test
def a_hostile_destination_met_at_delivery_is_a_failed_attempt_with_the_reason():
    """Rows written directly (as if the check at registration had passed, or
    the rule had changed since): delivery resolves and checks before it
    connects, and records the refusal as a failed attempt; the receiver,
    listening on loopback, gets nothing."""
    with Scene() as sc:
        rcv = sc.receiver()
        sc.server(WEBHOOK_ALLOW_PRIVATE="0", WEBHOOK_WORKERS="1")
        subs = []
        for host in ("127.0.0.1.", "0x7f.1", "[::ffff:127.0.0.1]", "localhost", "LOCALHOST."):
            wid = str(uuid.uuid4())
            sql("INSERT INTO webhook_subscriptions (id, url, secret, event_types, created_by_sub)"
                f" VALUES ('{wid}', 'http://{host}:{rcv.port}/hooks/cso', '{SECRET}',"
                " ARRAY['case.created'], 'test')")
            sc.webhooks.append(wid)
            subs.append((host, wid))
        create_case()
        for host, wid in subs:
            rows = wait_attempts(wid, 1)
            assert rows[0][2] == "failed" and rows[0][3] == "", (host, rows)
            assert rows[0][4].startswith("destination not allowed:"), (host, rows)
        assert rcv.requests == []


@test
def delivery_by_name_goes_to_the_pinned_address():
    """With the escape hatch on, a name is still resolved and pinned at
    delivery (CURLOPT_RESOLVE): "localhost" reaches the loopback receiver,
    and the attempt is recorded as delivered."""
    with Scene() as sc:
        rcv = sc.receiver()
        sc.server(WEBHOOK_WORKERS="1")
        w = sc.webhook(f"http://localhost:{rcv.port}/hooks/cso", ["case.created"])
        cid = create_case()
        got = rcv.wait_for(1)
        assert got[0][0]["case_id"] == cid
        rows = wait_attempts(w["id"], 1)
        assert rows[0][2] == "delivered", rows
        assert count("webhook_subscriptions", f"id = '{w['id']}'") == 1
        assert attempts(w["id"])
