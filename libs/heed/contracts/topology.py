"""Heed's topology, declared once: each service, the topics it consumes (each with its consumer
group) and publishes, its schema and its ports.

Everything else is derived from this table: each service's subscriptions (`Service.register`
subscribes exactly these topics and refuses a handler map that differs), the publisher's check
that a service publishes only what it declares, the consumer groups the lag checks read, the
producers and consumers in the AsyncAPI document, the processes' ports, and the deploy manifests'
Services and compose's published ports (for the services that serve something on their public port).
`tests/unit/contracts/test_topology.py` fails when any of them disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from heed.contracts import topics as t

INTERNAL_PORT_OFFSET = 100  # the internal port (readiness, metrics) when HEED_INTERNAL_PORT is unset


@dataclass(frozen=True)
class ServiceNode:
    name: str
    package: str  # the importable package: a hyphen cannot be imported
    service_class: str  # "<module>:<class>" of its Service, imported only by the process that runs it
    schema: str  # its PostgreSQL schema: services share events, never tables
    port: int  # public HTTP: webhooks, APIs, /healthz
    consumes: tuple[str, ...]
    publishes: tuple[str, ...]
    role: str
    # what its public port serves besides /healthz (path prefixes): a service that serves anything gets a
    # Service in the cluster and a published port in compose; one that serves nothing gets neither
    serves: tuple[str, ...] = ()
    # consumed topics that are bookkeeping no customer waits on: their batches wait while the
    # service's other consumers are behind (the router takes routing before acknowledgements)
    deferred: tuple[str, ...] = ()
    # consumed topics a customer's reply waits on (the hops from receipt to the automatic reply): polled
    # with the short fetch wait (HEED_FETCH_MAX_WAIT_MS). Every other subscription is polled with the
    # background wait (HEED_BACKGROUND_FETCH_MAX_WAIT_MS): each empty poll costs the broker and the
    # consumer CPU, and sixteen subscriptions polled every 10 ms kept 1.6 of two cores busy while idle
    waited_on: tuple[str, ...] = ()

    @property
    def internal_port(self) -> int:
        return self.port + INTERNAL_PORT_OFFSET

    def group(self, topic: str) -> str:
        """The consumer group of this service's subscription to `topic`."""
        return f"heed-{self.name}.{topic}"

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(self.group(topic) for topic in self.consumes)


SERVICES: tuple[ServiceNode, ...] = (
    ServiceNode(
        "ingest", "heed_ingest", "heed_ingest.app:IngestService", "ingest", 8080,
        consumes=(t.MENTIONS_RAW, t.DLQ, t.CRM_ERASURES),
        publishes=(t.MENTIONS_RAW, t.MENTIONS, t.DLQ),
        waited_on=(t.MENTIONS_RAW,),
        role="webhooks, pollers, replay and the mentions API in; normalise, dedupe; archive dead letters",
        serves=("/webhooks", "/v1/mentions")),
    ServiceNode(
        "classifier", "heed_classifier", "heed_classifier.app:ClassifierService", "classifier", 8081,
        consumes=(t.MENTIONS, t.CLASSIFIER_CORRECTIONS, t.CRM_ERASURES),
        publishes=(t.MENTIONS_CLASSIFIED, t.DLQ),
        role="language, script, category, issue type, sentiment, urgency, PII; keeps agents' corrections to "
             "retrain on",
        deferred=(t.CLASSIFIER_CORRECTIONS, t.CRM_ERASURES),
        waited_on=(t.MENTIONS,)),
    ServiceNode(
        "router", "heed_router", "heed_router.app:RouterService", "router", 8082,
        consumes=(t.MENTIONS_CLASSIFIED, t.CRM_CUSTOMERS, t.REPLIES, t.CRM_VERIFICATIONS),
        publishes=(t.CASES_ROUTED, t.CASE_EVENTS, t.CASE_ANSWERS, t.ALERTS, t.CLASSIFIER_CORRECTIONS, t.DLQ),
        role="cases and their lifecycle, departments, fair queues, SLA timers, follow-ups; the cases API; "
             "crisis alerts; the agent console",
        serves=("/v1", "/console"),
        # acknowledgements, the CRM's tier and owner, verifications: bookkeeping no reply waits on
        deferred=(t.REPLIES, t.CRM_CUSTOMERS, t.CRM_VERIFICATIONS),
        waited_on=(t.MENTIONS_CLASSIFIED,)),
    ServiceNode(
        "responder", "heed_responder", "heed_responder.app:ResponderService", "responder", 8083,
        consumes=(t.CASES_ROUTED, t.CASE_ANSWERS, t.CRM_CUSTOMERS),
        publishes=(t.REPLIES, t.DLQ),
        role="replies (automatic, department answers, follow-ups) through the channel adapters, from an outbox; "
             "the answering API the console calls (previews, templates, secure links)",
        serves=("/v1",),
        deferred=(t.CRM_CUSTOMERS,),
        waited_on=(t.CASES_ROUTED,)),
    ServiceNode(
        "crm-sync", "heed_crm_sync", "heed_crm_sync.app:CrmSyncService", "crm", 8084,
        consumes=(t.MENTIONS, t.CASES_ROUTED, t.REPLIES, t.CASE_EVENTS),
        publishes=(t.CRM_CUSTOMERS, t.CRM_ERASURES, t.CRM_VERIFICATIONS, t.DLQ),
        role="the customer record: identities and every interaction; the secure verification page; the customers "
             "API; the two-way sync with HubSpot and Salesforce",
        serves=("/verify", "/v1", "/crm/hubspot/webhook")),
)

BY_SERVICE: dict[str, ServiceNode] = {s.name: s for s in SERVICES}
CONSUMER_GROUPS: tuple[str, ...] = tuple(g for s in SERVICES for g in s.groups)


def node(name: str) -> ServiceNode:
    try:
        return BY_SERVICE[name]
    except KeyError:
        raise ValueError(f"unknown service {name!r}; one of: {', '.join(BY_SERVICE)}") from None


def producers(topic: str) -> list[str]:
    return [s.name for s in SERVICES if topic in s.publishes]


def consumers(topic: str) -> list[str]:
    return [s.name for s in SERVICES if topic in s.consumes]
