"""Every Kafka topic Heed uses, with the contract it carries and its partition count.

One table: the dev stack creates topics from it, the AsyncAPI document is generated from it,
and services import the constants instead of spelling topic names.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from heed.contracts import events


@dataclass(frozen=True)
class Topic:
    name: str
    model: type[BaseModel]
    partitions: int
    description: str


MENTIONS_RAW = "heed.mentions.raw"
MENTIONS = "heed.mentions"
MENTIONS_CLASSIFIED = "heed.mentions.classified"
CASES_ROUTED = "heed.cases.routed"
CASE_EVENTS = "heed.cases.events"
CASE_ANSWERS = "heed.cases.answers"
REPLIES = "heed.replies"
CRM_CUSTOMERS = "heed.crm.customers"
CRM_ERASURES = "heed.crm.erasures"
CRM_VERIFICATIONS = "heed.crm.verifications"
ALERTS = "heed.alerts"
CLASSIFIER_CORRECTIONS = "heed.classifier.corrections"
DLQ = "heed.dlq"

TOPICS: tuple[Topic, ...] = (
    Topic(MENTIONS_RAW, events.RawMention, 6,
          "Authentic inbound bodies exactly as received (webhook, poll, replay, API), before parsing."),
    Topic(MENTIONS, events.Mention, 6,
          "Normalised, deduplicated mentions; keyed by conversation (channel + thread root)."),
    Topic(MENTIONS_CLASSIFIED, events.ClassifiedMention, 6,
          "A mention with its classification: language, script, category, urgency, PII."),
    Topic(CASES_ROUTED, events.RoutedCase, 6,
          "A classified mention assigned to a case, department, handling mode and SLA."),
    Topic(CASE_EVENTS, events.CaseEvent, 3,
          "Case lifecycle, every transition: opened, acknowledged, queued, claimed, answered, awaiting "
          "customer, resolved, reopened, closed; transfers, notes, urgency raised, SLA warning and breach, "
          "escalation, follow-up sent, rating. Keyed by case id."),
    Topic(CASE_ANSWERS, events.CaseAnswer, 3,
          "Answers to send: a department's answer written through the cases API, or a follow-up asking "
          "for a rating. The responder sends each once. Keyed by case id."),
    Topic(REPLIES, events.Reply, 6,
          "Replies sent (or failed) to the customer on their channel."),
    Topic(CRM_CUSTOMERS, events.CustomerUpdate, 3,
          "Customer record changes (tier, owner, preferences) for the other services."),
    Topic(CRM_ERASURES, events.CustomerUpdate, 1,
          "Erasures only: the same CustomerUpdate (erased, naming the identities to forget) that "
          "heed.crm.customers carries, for a service that needs nothing else of the record. Keyed by "
          "customer id."),
    Topic(CRM_VERIFICATIONS, events.CustomerVerified, 3,
          "A customer verified their identity through a secure link for a case (ids and outcome, never "
          "the details they typed). Keyed by case id."),
    Topic(ALERTS, events.Alert, 1,
          "Crisis incidents: negative mentions on a topic far above its baseline; opened, updated, "
          "resolved. Keyed by alert id."),
    Topic(CLASSIFIER_CORRECTIONS, events.ClassifierCorrection, 3,
          "Agents' corrections of the classifier's labels (category, issue type, urgency, language) made "
          "through the cases API, with the mention's text: what the classifier retrains on. Keyed by mention id."),
    Topic(DLQ, events.DeadLetter, 1,
          "Events that failed after retries, with their original bytes, error and origin."),
)

BY_NAME: dict[str, Topic] = {t.name: t for t in TOPICS}
