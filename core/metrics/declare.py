"""Declaring metrics: one counter, gauge or histogram per name in the process, however often asked.

prometheus_client refuses a name twice in a registry. Modules declare their metrics at import,
like their loggers, and a test session builds many apps in one process, so asking again with
the same kind and labels returns the metric already made; asking with another kind or other
labels is a programming error and raises.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Literal, TypeVar

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

__all__ = ["GaugeMode", "counter", "gauge", "histogram"]

MetricT = TypeVar("MetricT", bound=MetricWrapperBase)

# How several worker processes' values of one gauge add up (prometheus_client's modes).
GaugeMode = Literal[
    "all",
    "liveall",
    "min",
    "livemin",
    "max",
    "livemax",
    "sum",
    "livesum",
    "mostrecent",
    "livemostrecent",
]

_declared: dict[str, tuple[type[MetricWrapperBase], tuple[str, ...], MetricWrapperBase]] = {}
_lock = threading.Lock()


def counter(name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
    """A counter; exposed as `<name>`, with `_total` added when the name lacks it."""
    return _declare(Counter, name, labels, lambda: Counter(name, documentation, labels))


def gauge(
    name: str,
    documentation: str,
    labels: Sequence[str] = (),
    *,
    multiprocess_mode: GaugeMode = "livesum",
) -> Gauge:
    """A gauge; with several workers, the live processes' values add up unless told otherwise."""
    return _declare(
        Gauge,
        name,
        labels,
        lambda: Gauge(name, documentation, labels, multiprocess_mode=multiprocess_mode),
    )


def histogram(
    name: str,
    documentation: str,
    labels: Sequence[str] = (),
    *,
    buckets: Sequence[float] = Histogram.DEFAULT_BUCKETS,
) -> Histogram:
    """A histogram; the default buckets span 5 ms to 10 s, which suits request durations."""
    return _declare(
        Histogram, name, labels, lambda: Histogram(name, documentation, labels, buckets=buckets)
    )


def _declare(
    kind: type[MetricT], name: str, labels: Sequence[str], make: Callable[[], MetricT]
) -> MetricT:
    with _lock:
        if name not in _declared:
            _declared[name] = (kind, tuple(labels), make())
        found_kind, found_labels, metric = _declared[name]
    if found_kind is not kind or found_labels != tuple(labels):
        raise ValueError(
            f"metric {name!r} is already declared as a {found_kind.__name__.lower()}"
            f" with labels {list(found_labels)}"
        )
    assert isinstance(metric, kind)
    return metric
