"""Prometheus metrics, served on GET /metrics; modules declare their own here.

Declare a metric once, at import, next to the code it measures, and prefix its name with
your module's::

    from core import metrics

    NOTES_SAVED = metrics.counter("acme_notes_saved_total", "Notes saved.", ["kind"])

    NOTES_SAVED.labels(kind="draft").inc()

They are prometheus_client's own `Counter`, `Gauge` and `Histogram`. Label values must come
from a small fixed set (never a user id or a raw path): each value makes a series. With
several workers the values add up across processes; a gauge takes the live processes' sum
unless `multiprocess_mode` says otherwise.
"""

from prometheus_client import Counter, Gauge, Histogram

from core.metrics.declare import GaugeMode, counter, gauge, histogram

__all__ = ["Counter", "Gauge", "GaugeMode", "Histogram", "counter", "gauge", "histogram"]
