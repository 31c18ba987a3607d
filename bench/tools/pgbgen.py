#!/usr/bin/python3
"""Builds the pgbench scripts of a scenario's limit from its template.

The limit of an endpoint is PostgreSQL running the same statements the
handler runs, prepared (`pgbench -M prepared`), with parameters that vary per
transaction. The statement texts come from `cso-server --statements`, so the
limit follows the code: a template names statements, never copies SQL.

Template (bench/pgbench/<name>.pgb), one command per line:
    #sample reads.tsv          rows (TSV with a header) the parameters come from
    \\set rid random(1, 10^12)  any pgbench meta-command, copied as is
    BEGIN / COMMIT             plain SQL, copied as is
    @stmt arg arg ...          a registered statement, $1.. bound to the args
    @stmt*50 arg ...           the same statement 50 times (e.g. one audit row
                               per listed case)
    @stmt arg ... \\gset p_     the statement's one result row into pgbench
                               variables p_<column> (an id a later statement
                               uses, as the handler does)
An argument is a column of the sample row, a pgbench variable (:rid style,
written without the colon) when no such column exists, a 'constant', or NULL.

pgbench has no string functions and cannot bind SQL NULL, so variety comes
from several scripts (one per sampled row, picked at random per transaction
with equal weight) whose values are passed with -D; a NULL value is written as
a NULL literal (the planner can fold it, so the limit is never understated).
Prints one pgbench argument per line.
"""
import argparse
import json
import os
import random
import re
import sys

IDENT = re.compile(r"[A-Za-z0-9_]")


def escape_colons(sql):
    """pgbench treats :name anywhere (even inside quotes) as a variable; a
    literal such as 'HH24:MI' is rewritten as the same constant in E'' form."""
    out, i, n = [], 0, len(sql)
    while i < n:
        c = sql[i]
        if c != "'":
            out.append(c)
            i += 1
            continue
        j = i + 1
        buf = []
        while j < n:
            if sql[j] == "'" and j + 1 < n and sql[j + 1] == "'":
                buf.append("''")
                j += 2
            elif sql[j] == "'":
                break
            else:
                buf.append(sql[j])
                j += 1
        lit = "".join(buf)
        if re.search(r":[A-Za-z0-9_]", lit):
            prefix = "E" if i == 0 or not IDENT.match(sql[i - 1]) else ""
            if not prefix:  # already an E'' or typed literal: leave it to fail loudly
                raise SystemExit("pgbgen: cannot escape literal " + lit)
            lit = lit.replace("\\", "\\\\").replace(":", "\\072")
            out.append("E'" + lit + "'")
        else:
            out.append("'" + lit + "'")
        i = j + 1
    return "".join(out)


def bind(sql, values):
    """Replaces $1..$n with the given SQL fragments."""
    used = {int(m) for m in re.findall(r"\$(\d+)", sql)}
    if used and max(used) != len(values):
        raise SystemExit(f"pgbgen: statement takes {max(used)} parameters, template gives {len(values)}")
    return re.sub(r"\$(\d+)", lambda m: values[int(m.group(1)) - 1], sql)


def load_rows(path):
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        return [dict(zip(header, line.rstrip("\n").split("\t"))) for line in f if line.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--statements", required=True, help="JSON from cso-server --statements")
    ap.add_argument("--data", required=True, help="folder with the sample TSV files")
    ap.add_argument("--out", required=True, help="folder for the generated scripts")
    ap.add_argument("--scripts", type=int, default=100, help="scripts per template")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("templates", nargs="+", help="path.pgb[@weight]")
    a = ap.parse_args()
    stmts = json.load(open(a.statements))
    rnd = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    defines, files, consts = {}, [], {}

    if a.scripts * len(a.templates) > 128:
        raise SystemExit("pgbgen: pgbench takes at most 128 scripts")
    for spec in a.templates:
        path, _, weight = spec.partition("@")
        weight = weight or "1"
        name = os.path.splitext(os.path.basename(path))[0]
        lines = [l.rstrip("\n") for l in open(path)]
        sample = [l.split(None, 1)[1] for l in lines if l.startswith("#sample ")]
        rows = load_rows(os.path.join(a.data, sample[0])) if sample else [{}]
        for k in range(a.scripts):
            row = rnd.choice(rows)
            tag = f"{name}_{k}"
            body = []
            for line in lines:
                s = line.strip()
                if not s or s.startswith("#"):
                    continue
                if not s.startswith("@"):
                    body.append(s if s.startswith("\\") else s + ";")
                    continue
                head, *args = s[1:].split()
                stmt, _, times = head.partition("*")
                gset = ""
                if "\\gset" in args:
                    k = args.index("\\gset")
                    gset = " " + " ".join(args[k:])
                    args = args[:k]
                if stmt not in stmts:
                    raise SystemExit(f"pgbgen: {path}: no statement named {stmt} (is its route merged?)")
                vals = []
                for arg in args:
                    if arg == "NULL":
                        vals.append("NULL")
                    elif arg.startswith("'"):
                        cname = consts.setdefault(arg, f"c{len(consts)}")
                        defines[cname] = arg.strip("'")
                        vals.append(":" + cname)
                    elif arg in row:
                        v = row[arg]
                        if v in ("", "\\N", "NULL"):
                            vals.append("NULL")
                        else:
                            var = f"{arg}_{tag}"
                            defines[var] = v
                            vals.append(":" + var)
                    else:
                        vals.append(":" + arg)
                # \gset ends the query itself (no semicolon)
                sql = bind(escape_colons(stmts[stmt]), vals) + (gset or ";")
                body.extend([sql] * int(times or 1))
            out = os.path.join(a.out, tag + ".sql")
            with open(out, "w") as f:
                f.write("\n".join(body) + "\n")
            files.append(f"{out}@{weight}")
    for f in files:
        print("-f")
        print(f)
    for k, v in defines.items():
        print("-D")
        print(f"{k}={v}")


if __name__ == "__main__":
    sys.exit(main())
