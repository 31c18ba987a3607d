"""The README's curl walk-through runs as written.

Every ```sh block of README.md that follows a `<!-- walkthrough -->` line is
run, in order, in one bash process started in the clone (as a reader pastes
them into one terminal after `make run`), with `set -euo pipefail`, against
the shared test server. The blocks get the server's address and JWT settings
through the variables the README documents (API, JWT_SECRET, JWT_ISSUER,
JWT_AUDIENCE), mint their tokens with build/mint-token, and upload the
sample records in examples/. A request a block means to succeed uses
`curl --fail-with-body`, so any error status fails this test."""
import ast
import os
import re
import subprocess
import tempfile

from lib import harness
from lib.harness import AUDIENCE, ISSUER, ROOT, SECRET, TMP, test

README = os.path.join(ROOT, "README.md")
MARKER = "<!-- walkthrough -->"
SECTION = "## Walk-through with curl"


def readme():
    with open(README, encoding="utf-8") as f:
        return f.read()


def walkthrough_blocks():
    """The marked sh blocks, all of which must sit in the walk-through section."""
    text = readme()
    start = text.index(SECTION + "\n")
    end = text.find("\n## ", start + len(SECTION))
    section = text[start:end if end >= 0 else len(text)]
    pattern = re.compile(re.escape(MARKER) + r"\n```sh\n(.*?)^```\n", re.S | re.M)
    blocks = pattern.findall(section)
    assert len(pattern.findall(text)) == len(blocks), "a walkthrough block outside its section"
    lines = re.findall(r"^" + re.escape(MARKER) + r"$", text, re.M)
    assert len(lines) == len(blocks), f"a {MARKER} line not followed by a ```sh block"
    return blocks


def run_blocks(blocks, timeout=180):
    """Runs the blocks in one bash; returns (rc, {block number: stdout}, stderr)."""
    parts = ["set -euo pipefail", "shopt -s inherit_errexit"]
    for n, block in enumerate(blocks, 1):
        parts += [f"echo '### walkthrough block {n}'", "set -x", block, "set +x"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JWT_", "PG"))}
    env.update({
        "API": f"http://127.0.0.1:{harness.shared_server.port}",
        "JWT_SECRET": SECRET, "JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE,
        # mktemp -d in the blocks: under the test run's folder, removed with it.
        "TMPDIR": TMP,
    })
    out = subprocess.run(["bash", "-c", "\n".join(parts)], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=timeout)
    per_block, current = {}, 0
    for line in out.stdout.splitlines():
        m = re.fullmatch(r"### walkthrough block (\d+)", line)
        if m:
            current = int(m.group(1))
            per_block[current] = []
            continue
        per_block.setdefault(current, []).append(line)
    return out.returncode, {n: "\n".join(v) for n, v in per_block.items()}, out.stderr


@test
def readme_walkthrough_blocks_are_marked_and_self_contained():
    blocks = walkthrough_blocks()
    assert len(blocks) >= 7, f"only {len(blocks)} walkthrough blocks: markers lost?"
    joined = "\n".join(blocks)
    # One base URL: the blocks reach the server through $API only, so the
    # same text works after `make run` and here.
    for n, block in enumerate(blocks, 1):
        for line in block.splitlines():
            if "localhost" in line or "127.0.0.1" in line:
                assert line.startswith("API=${API:-"), f"block {n} names a host: {line}"
    # The records it uploads ship with the clone.
    uploads = re.findall(r"--data-binary @(\S+)", joined)
    assert len(uploads) >= 3, uploads
    for path in uploads:
        assert path.startswith("examples/"), f"upload of {path}: use the samples in examples/"
        assert os.path.isfile(os.path.join(ROOT, path)), f"{path} does not exist"
    assert "build/mint-token" in joined


@test
def readme_walkthrough_runs_as_written():
    blocks = walkthrough_blocks()
    rc, out, err = run_blocks(blocks)
    failed = max(out) if out else 0
    assert rc == 0, (f"walkthrough block {failed} of {len(blocks)} failed (exit {rc}).\n"
                     f"--- its output:\n{out.get(failed, '')[-3000:]}\n--- trace:\n{err[-4000:]}")
    assert sorted(out) == list(range(1, len(blocks) + 1)), sorted(out)
    everything = "\n".join(out.values())
    # What the README says the blocks print, at the points that matter.
    assert '{"status":"ok"}' in out[1], out[1]
    for status in ('"status":401', '"status":403', '"status":400'):
        assert status in everything, status
    journey = everything.splitlines()
    for expected in ("['pathology_report', 'imaging', 'medication_list']", "415", "submitted",
                     "accepted", "signed", "True"):
        assert expected in journey, (expected, journey)
    assert any(line.startswith("%PDF-") for line in journey), journey
    feed = [line for line in journey if line.startswith("['case.created'")]
    assert len(feed) == 1, journey
    types = ast.literal_eval(feed[0])
    assert types[-1] == "case.acknowledged" and types.count("document.added") == 3, types
    assert "opinion.signed" in types and "coverage.checked" in types, types


@test
def sample_records_are_what_make_samples_writes():
    """examples/ holds exactly what examples/make_samples.py writes, so the
    script and the files never drift apart (the script is deterministic)."""
    with tempfile.TemporaryDirectory(dir=TMP) as d:
        subprocess.run(["python3", os.path.join(ROOT, "examples", "make_samples.py"), d],
                       check=True, timeout=60)
        made = sorted(os.listdir(d))
        assert made == ["ct-slice.dcm", "key-image.png", "pathology-report.pdf"], made
        for name in made:
            with open(os.path.join(d, name), "rb") as a, \
                    open(os.path.join(ROOT, "examples", name), "rb") as b:
                fresh, shipped = a.read(), b.read()
            assert fresh == shipped, f"examples/{name} differs from what make_samples.py writes"
            assert len(shipped) < 8192, (name, len(shipped))
        with open(os.path.join(d, "ct-slice.dcm"), "rb") as f:
            dcm = f.read()
        assert dcm[128:132] == b"DICM" and dcm[132:136] == b"\x02\x00\x00\x00", dcm[:140]
