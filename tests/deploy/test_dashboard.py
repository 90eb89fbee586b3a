"""deploy/grafana/trellis.json queries only the metrics Trellis exports, and all of them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from core.plugins import read_plugins_file
from core.testing import ClientFactory
from tests.deploy.files import ROOT

# The names `/metrics` exposes (issue 15; tasks: issue 14), with their labels; histograms by
# their base name.
METRICS: dict[str, set[str]] = {
    "trellis_http_requests_total": {"method", "route", "status"},
    "trellis_http_request_duration_seconds": {"method", "route"},
    "trellis_http_requests_in_flight": set(),
    "trellis_http_shed_total": set(),
    "trellis_db_pool_size": set(),
    "trellis_db_pool_checked_out": set(),
    "trellis_db_pool_overflow": set(),
    "trellis_cache_errors_total": set(),
    "trellis_login_attempts_total": {"outcome"},
    "trellis_rate_limited_total": {"bucket"},
    "trellis_tasks_total": {"task", "outcome"},
}
HISTOGRAMS = {"trellis_http_request_duration_seconds"}
# Labels Prometheus adds to every series, `le` of histogram buckets, and the dashboard's own.
OTHER_LABELS = {"job", "instance", "le", "class"}
NAME = re.compile(r"\btrellis_\w+")


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((ROOT / "deploy" / "grafana" / "trellis.json").read_text())
    return loaded


def queries(node: object) -> Iterator[str]:
    """Every PromQL string: panel targets' `expr` and template variables' queries."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in {"expr", "definition"} and isinstance(value, str):
                yield value
            elif key == "query" and isinstance(value, str | dict):
                yield from ([value] if isinstance(value, str) else [value.get("query", "")])
            else:
                yield from queries(value)
    elif isinstance(node, list):
        for item in node:
            yield from queries(item)


def base_name(series: str) -> str:
    for histogram in HISTOGRAMS:
        if series in {f"{histogram}_bucket", f"{histogram}_sum", f"{histogram}_count"}:
            return histogram
    return series


def test_every_query_names_an_exported_metric() -> None:
    used = {base_name(name) for query in queries(dashboard()) for name in NAME.findall(query)}
    assert used - set(METRICS) == set(), "the dashboard queries metrics Trellis does not export"
    assert set(METRICS) - used == set(), "a metric has no panel"


def test_histograms_are_read_through_their_buckets() -> None:
    for query in queries(dashboard()):
        for histogram in HISTOGRAMS:
            if histogram in query:
                assert f"{histogram}_bucket" in query
                assert "histogram_quantile(" in query


def test_grouping_labels_exist() -> None:
    labels = set().union(*METRICS.values()) | OTHER_LABELS
    for query in queries(dashboard()):
        for group in re.findall(r"\bby \(([^)]*)\)", query):
            grouped = {label.strip() for label in group.split(",")}
            assert grouped <= labels, query


def test_panels_have_unique_ids_titles_and_a_data_source() -> None:
    panels = dashboard()["panels"]
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids))
    for panel in panels:
        assert panel["title"]
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            assert panel["targets"]


async def test_the_app_exports_what_the_dashboard_reads(make_client: ClientFactory) -> None:
    config = read_plugins_file(ROOT / "plugins.toml")
    switched_on = {"metrics_enabled": True, "metrics_token": None}
    async with make_client(config.enabled, config.settings, settings_override=switched_on) as c:
        await c.get("/health")
        response = await c.get("/metrics")
    assert response.status_code == 200, response.text
    exported = set()
    for family in text_string_to_metric_families(response.text):
        exported |= {family.name, f"{family.name}_total"}  # the parser drops `_total`
    assert set(METRICS) - exported == set(), "the dashboard reads metrics /metrics lacks"
