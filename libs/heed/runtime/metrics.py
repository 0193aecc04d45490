"""Prometheus metrics, one registry per service instance (tests run five services in one process).

Two sources feed a service's registry: the Stage's instruments (batch latency, events handled and
dead-lettered, consumer lag, each per topic) and the counts a service returns from
`Service.metrics()`, a dict of name → number whose keys may carry labels of their own
('heed_webhook_refused_total{channel="x",reason="bad_signature"}'). `render()` writes both in
the Prometheus text format (or OpenMetrics, when the scraper asks for it) with HELP and TYPE.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

__all__ = ["CountsCollector", "StageMetrics", "parse_key", "render"]

# a batch takes from a millisecond (a few events, one query) to seconds (retries, a slow database)
BATCH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class StageMetrics:
    """The Stage's instruments; every series is labelled with the service and the topic."""

    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ("service", "topic")
        self.batch_seconds = Histogram(
            "heed_batch_seconds", "Time to handle one consumed batch: decode, the handler with its retries, "
            "and the dead letters", labels, buckets=BATCH_BUCKETS, registry=registry)
        self.handled = Counter(
            "heed_events_handled", "Consumed events done with (handled or dead-lettered); their offsets may be "
            "committed", labels, registry=registry)
        self.dead_lettered = Counter(
            "heed_dead_letters", "Consumed events sent to the DLQ with their original bytes", labels,
            registry=registry)
        self.lag = Gauge(
            "heed_consumer_lag", "Records on the partition behind the last consumed batch (the consumer's "
            "highwater minus its position), as of that batch", (*labels, "partition"), registry=registry)

    # the exposed names, which a service's own counts may not reuse
    NAMES = frozenset({"heed_batch_seconds", "heed_events_handled_total", "heed_dead_letters_total",
                       "heed_consumer_lag"})


_KEY = re.compile(r"(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})?")
_LABEL = re.compile(r'\s*(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)="(?P<value>(?:[^"\\]|\\.)*)"\s*(?:,|$)')
_UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}


def parse_key(key: str) -> tuple[str, dict[str, str]]:
    """'name{a="x",b="y"}' → ('name', {'a': 'x', 'b': 'y'}); label values use the text format's escapes."""
    match = _KEY.fullmatch(key)
    if match is None:
        raise ValueError(f"metric key {key!r} is not 'name' or 'name{{label=\"value\",...}}'")
    labels: dict[str, str] = {}
    text, at = match.group("labels") or "", 0
    while at < len(text):
        label = _LABEL.match(text, at)
        if label is None or label.end() == at:
            raise ValueError(f"metric key {key!r}: cannot read the labels from {text[at:]!r}")
        labels[label.group("name")] = re.sub(r'\\[\\"n]', lambda m: _UNESCAPE[m.group()], label.group("value"))
        at = label.end()
    return match.group("name"), labels


class CountsCollector(Collector):
    """A service's own counts (`Service.metrics()`) as metric families with HELP and TYPE.

    A name ending in `_total` is a counter, any other a gauge. `helps` gives a name's HELP text;
    one it does not know says which service counts it.
    """

    def __init__(self, service: str, counts: Callable[[], Mapping[str, float]], helps: Mapping[str, str]) -> None:
        self.service, self.counts, self.helps = service, counts, helps

    def collect(self) -> Iterator[Metric]:
        families: dict[str, Metric] = {}
        for key, value in self.counts().items():
            name, labels = parse_key(key)
            if name in StageMetrics.NAMES:
                raise ValueError(f"{self.service}: {name} is the Stage's own instrument; count something else")
            family = families.get(name)
            if family is None:
                counter = name.endswith("_total")
                family = families[name] = Metric(
                    name.removesuffix("_total") if counter else name,
                    self.helps.get(name, f"{name}, counted by the {self.service} service"),
                    "counter" if counter else "gauge")
            family.add_sample(name, {"service": self.service, **labels}, float(value))
        yield from families.values()


def render(registry: CollectorRegistry, accept: str | None) -> tuple[bytes, str]:
    """The registry in the format the scraper's Accept header asks for; returns (body, content type)."""
    encode, content_type = choose_encoder(accept or "")
    return encode(registry), content_type
