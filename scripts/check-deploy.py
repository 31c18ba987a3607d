#!/usr/bin/python3
"""Static checks of the production layout (there is no Docker engine in CI):
docker-compose.yml, Dockerfile, deploy/nginx/nginx.conf, .env.example and
the README's configuration table must agree with each other and with what
internal/config/config.c reads. Prints one line per problem; exit 1 if any.
Also runs `docker compose config` / `docker-compose config` when a client
that works without a daemon is installed."""
import os
import re
import shutil
import subprocess
import sys

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
problems = []


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def config_c_vars():
    """Environment variables the server reads, with integer defaults."""
    src = read("internal/config/config.c")
    names = set(re.findall(r'(?:getenv|env_or|env_int)\("([A-Z_]+)"', src))
    defaults = {}
    for name, expr in re.findall(r'env_int\("([A-Z_]+)",\s*([0-9L *]+),', src):
        defaults[name] = eval(expr.replace("L", ""), {"__builtins__": {}})  # digits and * only
    return names, defaults


def size_bytes(nginx_size):
    m = re.fullmatch(r"(\d+)([kKmMgG]?)", nginx_size)
    mult = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[m.group(2).lower()]
    return int(m.group(1)) * mult


server_vars, int_defaults = config_c_vars()
compose_text = read("docker-compose.yml")
compose = yaml.safe_load(compose_text)
services = compose.get("services", {})

# --- services --------------------------------------------------------------
for name in ("postgres", "migrate", "api", "nginx"):
    if name not in services:
        problems.append(f"docker-compose.yml: no `{name}` service")
if services.get("postgres", {}).get("image", "").split(":")[-1] != "15":
    problems.append("docker-compose.yml: postgres must be the postgres:15 image")
api = services.get("api", {})
if int(api.get("deploy", {}).get("replicas", 1)) < 2:
    problems.append("docker-compose.yml: api needs deploy.replicas >= 2")
if not str(services.get("nginx", {}).get("image", "")).startswith("nginx:"):
    problems.append("docker-compose.yml: nginx must use the official nginx image")
if api.get("depends_on", {}).get("migrate", {}).get("condition") != "service_completed_successfully":
    problems.append("docker-compose.yml: api must wait for migrate to complete")

# --- build targets and mounted files exist -------------------------------
stages = set(re.findall(r"(?im)^FROM\s+\S+\s+AS\s+(\S+)", read("Dockerfile")))
for name, svc in services.items():
    target = (svc.get("build") or {}).get("target") if isinstance(svc.get("build"), dict) else None
    if target and target not in stages:
        problems.append(f"docker-compose.yml: {name} builds target {target}, not in Dockerfile")
    for vol in svc.get("volumes", []):
        src = vol.split(":")[0]
        if src.startswith("./") and not os.path.exists(os.path.join(ROOT, src)):
            problems.append(f"docker-compose.yml: {name} mounts {src}, which does not exist")
stage_text = {m.group(1): m.group(2) for m in re.finditer(
    r"(?ims)^FROM\s+\S+\s+AS\s+(\S+)\s*$(.*?)(?=^FROM\s|\Z)", read("Dockerfile"))}
runtime = stage_text.get("runtime", "")
if not runtime:
    problems.append("Dockerfile: no `runtime` stage")
if not re.search(r"(?m)^HEALTHCHECK\b(?:[^\n]*\\\n)*[^\n]*/healthz", runtime):
    problems.append("Dockerfile: the runtime image needs a HEALTHCHECK on /healthz")
users = re.findall(r"(?m)^USER\s+(\S+)", runtime)
if not users or users[-1] in ("root", "0"):
    problems.append("Dockerfile: the runtime image must run as a non-root user")
if re.search(r"(?m)-dev\b", runtime):
    problems.append("Dockerfile: the runtime image must not install -dev packages")

# --- the API's environment is what the server reads --------------------------
api_env = api.get("environment", {})
for key in api_env:
    if key not in server_vars:
        problems.append(f"docker-compose.yml: api sets {key}, which internal/config/config.c never reads")

# The listen address is explicit wherever the server runs in a container:
# `make run` binds loopback, and a container must not depend on a default.
if str(api_env.get("BIND_ADDRESS", "")) != "0.0.0.0":
    problems.append("docker-compose.yml: api must set BIND_ADDRESS: \"0.0.0.0\" explicitly")
if not re.search(r"(?m)^ENV\b[^\n]*\bBIND_ADDRESS=0\.0\.0\.0\b", runtime):
    problems.append("Dockerfile: the runtime image must set ENV BIND_ADDRESS=0.0.0.0 explicitly")

# --- every ${VAR} the compose file needs is in .env.example ---------------
env_example = dict(
    line.split("=", 1) for line in read(".env.example").splitlines()
    if line.strip() and not line.lstrip().startswith("#") and "=" in line)
for var in sorted(set(re.findall(r"\$\{([A-Z_]+)", compose_text))):
    if var not in env_example:
        problems.append(f".env.example: {var} (used by docker-compose.yml) is missing")

# --- nginx body limit matches the largest body the API accepts ------------
nginx = read("deploy/nginx/nginx.conf")
m = re.search(r"client_max_body_size\s+(\S+);", nginx)
doc_default = int_defaults.get("MAX_DOCUMENT_BYTES")
compose_doc = re.search(r"MAX_DOCUMENT_BYTES:-(\d+)", compose_text)
if not m:
    problems.append("nginx.conf: no client_max_body_size")
else:
    limit = size_bytes(m.group(1))
    if doc_default is not None and limit != doc_default:
        problems.append(f"nginx.conf: client_max_body_size {m.group(1)} != MAX_DOCUMENT_BYTES "
                        f"default {doc_default}")
    if compose_doc and int(compose_doc.group(1)) != limit:
        problems.append("docker-compose.yml: MAX_DOCUMENT_BYTES differs from nginx client_max_body_size")
for directive in ("proxy_http_version 1.1", "keepalive ", "client_header_timeout", "client_body_timeout",
                  "X-Request-Id", "$request_id", "location = /healthz"):
    if directive not in nginx:
        problems.append(f"nginx.conf: `{directive}` is missing")

# --- README documents every setting ----------------------------------------
readme = read("README.md") if os.path.exists(os.path.join(ROOT, "README.md")) else ""
for var in sorted(server_vars):
    if f"`{var}`" not in readme:
        problems.append(f"README.md: configuration table lacks `{var}`")

# --- no secrets in the repository -------------------------------------------
if os.path.exists(os.path.join(ROOT, ".git")) and shutil.which("git"):
    tracked = subprocess.run(["git", "-C", ROOT, "ls-files"], capture_output=True, text=True).stdout
    for path in tracked.splitlines():
        base = os.path.basename(path)
        if re.search(r"\.(pem|key|p12)$", base) or base == ".env" or (
                base.startswith(".env.") and base != ".env.example"):
            problems.append(f"{path}: secrets and local env files must not be committed")

# --- a compose client, if one works without a daemon --------------------------
for cmd in (["docker", "compose"], ["docker-compose"]):
    if not shutil.which(cmd[0]):
        continue
    probe = subprocess.run(cmd + ["version"], capture_output=True, text=True)
    if probe.returncode != 0:
        continue
    r = subprocess.run(cmd + ["--env-file", ".env.example", "-f", "docker-compose.yml", "config", "-q"],
                       cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        problems.append(f"{' '.join(cmd)} config: {r.stderr.strip()[:500]}")
    else:
        print(f"{' '.join(cmd)} config: valid")
    break

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
