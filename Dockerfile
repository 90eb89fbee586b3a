# Production image: PostgreSQL and Redis come from the environment (see compose.yaml).
FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    ENVIRONMENT=production

WORKDIR /app
RUN useradd --system --uid 10001 --home-dir /app trellis

COPY pyproject.toml README.md plugins.toml ./
COPY core ./core
COPY modules ./modules
COPY migrations ./migrations
RUN pip install . && chown -R trellis /app

USER trellis
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"
# Run `trellis migrate` once per release (the compose file does) before starting the API.
CMD ["trellis", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
