# syntax=docker/dockerfile:1
# The production image: `docker build -t trellis:0.1.0 .` (see README, "Deployment").
# PostgreSQL, Redis and secrets come from the environment; run `trellis migrate` once per
# release before new API containers start (compose.yaml's `migrate` service and
# deploy/kubernetes/migrate-job.yaml do). For reproducible builds pin the base by digest.
ARG PYTHON_VERSION=3.13

# ---- builder: a compiler and headers, in case a dependency has no wheel for this platform.
FROM python:${PYTHON_VERSION}-slim-trixie AS builder

# Debian's package versions are not pinned: the archive drops superseded versions, so a pin
# breaks the build within weeks, and nothing from this stage reaches the final image.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv

WORKDIR /src
# Dependencies first, from pyproject.toml alone: this layer is reused while only code changes.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && pip install -r requirements.txt
COPY core ./core
COPY modules ./modules
COPY migrations ./migrations
RUN pip install --no-deps .

# ---- runtime: the slim base, the virtualenv, no compiler, a numeric non-root user.
FROM python:${PYTHON_VERSION}-slim-trixie AS runtime

# TRUSTED_PROXIES (addresses/CIDRs of the load balancer; default: none) decides when
# X-Forwarded-For/-Proto are believed: set it where a proxy terminates TLS, never to 0.0.0.0/0.
# SECRET_KEY, DATABASE_URL, REDIS_URL and METRICS_TOKEN are secrets: pass them at run time.
# PROMETHEUS_MULTIPROC_DIR lets several workers' metrics add up; it must be writable and empty
# when the server starts (compose mounts a tmpfs there, Kubernetes an emptyDir).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    ENVIRONMENT=production \
    TRELLIS_PLUGINS=/app/plugins.toml \
    TRELLIS_VAR_DIR=/app/var \
    PROMETHEUS_MULTIPROC_DIR=/app/metrics \
    WEB_CONCURRENCY=2

RUN groupadd --system --gid 10001 trellis \
    && useradd --system --uid 10001 --gid trellis --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin trellis

COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY plugins.toml ./
RUN mkdir var metrics && chown trellis:trellis var metrics

# Numeric, so Kubernetes' runAsNonRoot can verify it without a passwd lookup.
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"]
# Exec form: `trellis serve` is PID 1 and receives SIGTERM; it reads WEB_CONCURRENCY itself.
CMD ["trellis", "serve", "--host", "0.0.0.0", "--port", "8000"]
