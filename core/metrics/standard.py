"""The core's own metrics; the names are a contract with the dashboard in deploy/grafana/."""

from __future__ import annotations

from core.metrics.declare import counter, gauge, histogram

HTTP_REQUESTS = counter(
    "trellis_http_requests_total",
    "HTTP requests answered, by method, route template and status.",
    ("method", "route", "status"),
)
HTTP_DURATION = histogram(
    "trellis_http_request_duration_seconds",
    "Time from receiving a request to the end of its response, by method and route template.",
    ("method", "route"),
)
HTTP_IN_FLIGHT = gauge("trellis_http_requests_in_flight", "HTTP requests being answered now.")
HTTP_SHED = counter(
    "trellis_http_shed_total",
    "Requests answered 503 because the worker had no free slot in time (load shedding).",
)
DB_POOL_SIZE = gauge("trellis_db_pool_size", "Connections the database pool keeps open.")
DB_POOL_CHECKED_OUT = gauge("trellis_db_pool_checked_out", "Database connections in use now.")
DB_POOL_OVERFLOW = gauge(
    "trellis_db_pool_overflow", "Database connections open beyond the pool size."
)
CACHE_ERRORS = counter(
    "trellis_cache_errors_total", "Cache calls that failed: Redis unreachable, slow or refusing."
)
RATE_LIMITED = counter(
    "trellis_rate_limited_total", "Requests refused by a rate limit, by bucket.", ("bucket",)
)
