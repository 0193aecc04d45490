"""The five services by name, from the topology; imported lazily so one service's process loads only its code."""

from __future__ import annotations

import importlib

from heed.contracts.topology import CONSUMER_GROUPS, node
from heed.contracts.topology import SERVICES as NODES
from heed.runtime.service import Service

__all__ = ["CONSUMER_GROUPS", "SERVICES", "build_service", "service_class"]

SERVICES: dict[str, str] = {n.name: n.service_class for n in NODES}


def service_class(name: str) -> type[Service]:
    module, attr = node(name).service_class.split(":")
    cls = getattr(importlib.import_module(module), attr)
    assert issubclass(cls, Service)
    return cls


def build_service(name: str) -> Service:
    """A service with its settings read from the environment."""
    return service_class(name)()
