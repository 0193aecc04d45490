from __future__ import annotations

import json
import logging

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from heed.runtime import telemetry
from heed.runtime.logs import JsonFormatter


def _processors(provider: TracerProvider) -> list[object]:
    return list(provider._active_span_processor._span_processors)  # type: ignore[attr-defined]


def test_traces_are_exported_over_otlp_only_when_an_endpoint_is_configured(monkeypatch):
    monkeypatch.setattr(telemetry.trace, "set_tracer_provider", lambda provider: None)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    assert _processors(telemetry.configure_tracing("router")) == []
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    provider = telemetry.configure_tracing("router")
    (processor,) = _processors(provider)
    assert isinstance(processor, BatchSpanProcessor)
    assert type(processor.span_exporter).__module__.startswith("opentelemetry.exporter.otlp")
    assert provider.resource.attributes["service.name"] == "heed-router"
    processor.shutdown()


def test_logs_are_json_with_the_service_and_extra_fields():
    record = logging.LogRecord("heed", logging.WARNING, __file__, 1, "dead-lettered", None, None)
    record.fields = {"topic": "heed.mentions", "offset": 7}
    entry = json.loads(JsonFormatter("ingest").format(record))
    assert entry["service"] == "ingest" and entry["msg"] == "dead-lettered"
    assert entry["topic"] == "heed.mentions" and entry["offset"] == 7
    assert "trace_id" not in entry  # no span is active here
