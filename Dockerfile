# syntax=docker/dockerfile:1
# Three images from one file (see docker-compose.yml):
#   runtime  the API server: runtime libraries only, non-root, health-checked
#   migrate  a one-shot job that applies sql/migrations and loads the reference data
#   build    compiler and -dev packages; only its binaries leave it

FROM debian:12-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkg-config \
      libulfius-dev libjansson-dev libpq-dev libjwt-dev libssl-dev libmicrohttpd-dev \
      libcurl4-gnutls-dev libhpdf-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY cmd cmd
COPY internal internal
RUN make build


FROM debian:12-slim AS migrate
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-15 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin cso
WORKDIR /app
COPY scripts/migrate.sh scripts/seed.sh scripts/
COPY sql sql
USER 10001
# PGHOST, PGPORT, PGUSER (the schema owner), PGPASSWORD and PGDATABASE come
# from the environment. Reference data only: the invented development payers,
# members and specialists (sql/seed/dev) never reach a real deployment unless
# SEED_DEVELOPMENT=1 is set on purpose (a demo stack).
ENV SEED_DEVELOPMENT=0
CMD ["/bin/bash", "-c", "scripts/migrate.sh && scripts/seed.sh"]


FROM debian:12-slim AS runtime
# curl is only for the HEALTHCHECK below; libcurl3-gnutls sends webhooks and
# ca-certificates lets it verify https receivers.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libulfius2.7 libjansson4 libpq5 libjwt0 libssl3 \
      libmicrohttpd12 liborcania2.3 libyder2.0 libcurl3-gnutls libhpdf-2.3.0 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin cso
COPY --from=build /src/build/cso-server /src/build/mint-token /usr/local/bin/
USER 10001
# Every interface of the container: it is reached through its own network
# (nginx in docker-compose.yml), never from the host directly.
ENV PORT=8080 BIND_ADDRESS=0.0.0.0
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS -o /dev/null "http://127.0.0.1:${PORT}/healthz" || exit 1
# The server drains requests in flight on SIGTERM, then exits 0.
STOPSIGNAL SIGTERM
CMD ["/usr/local/bin/cso-server"]
