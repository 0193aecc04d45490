"""The five services by name; imported lazily so one service's process loads only its code."""

from __future__ import annotations

import importlib

from heed.runtime.service import Service

SERVICES: dict[str, str] = {
    "ingest": "heed_ingest.app:IngestService",
    "classifier": "heed_classifier.app:ClassifierService",
    "router": "heed_router.app:RouterService",
    "responder": "heed_responder.app:ResponderService",
    "crm-sync": "heed_crm_sync.app:CrmSyncService",
}


def service_class(name: str) -> type[Service]:
    try:
        module, attr = SERVICES[name].split(":")
    except KeyError:
        raise ValueError(f"unknown service {name!r}; one of: {', '.join(SERVICES)}") from None
    cls = getattr(importlib.import_module(module), attr)
    assert issubclass(cls, Service)
    return cls


def build_service(name: str) -> Service:
    """A service with its settings read from the environment."""
    return service_class(name)()

# consumer group of each subscription ("heed-<service>.<topic>"), for lag checks
CONSUMER_GROUPS: tuple[str, ...] = (
    "heed-ingest.heed.mentions.raw",
    "heed-ingest.heed.dlq",
    "heed-classifier.heed.mentions",
    "heed-router.heed.mentions.classified",
    "heed-router.heed.crm.customers",
    "heed-responder.heed.cases.routed",
    "heed-crm-sync.heed.mentions",
    "heed-crm-sync.heed.cases.routed",
    "heed-crm-sync.heed.replies",
)
