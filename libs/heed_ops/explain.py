"""`heed explain`: everything Heed knows and did about one mention, read from each service's tables.

Operator tooling, like `heed report`: it reads every service's schema, inside a read-only
transaction, and writes nothing. A section whose service has not run on this database (its table
does not exist) or has not handled the mention yet is null.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import asyncpg

# every table the story is read from; missing ones (a service that never ran) are skipped
TABLES = ("ingest.mentions", "classifier.classifications", "router.cases", "router.routed", "router.case_events",
          "router.case_answers", "router.case_notes", "responder.replies", "crm.interactions", "crm.customers",
          "crm.identities")

# what the classifier's jsonb column adds to its plain columns (rows from before it existed lack it)
WHOLE_CLASSIFICATION = ("sentiment", "complexity", "pii", "confidences", "explanation")

# a database from before the case lifecycle (no router.case_events) tells only these three
OPENED, MENTION_ADDED, FIRST_RESPONSE = "opened", "mention added", "first response"
# the case's lifecycle columns (router schema 002), shown when present
CASE_LIFECYCLE = ("urgency", "sla_policy", "first_due_at", "sla_breached_at", "acknowledged_at", "first_response_at",
                  "first_response_by", "claimed_by", "resolved_at", "resolved_by", "closed_at", "reopened",
                  "follow_up_sent_at", "rating")


def _plain(value: Any) -> Any:
    """A column value as JSON has it: ids and times as strings."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _row(record: asyncpg.Record, *columns: str) -> dict[str, Any]:
    return {c: _plain(record[c]) for c in columns}


async def _tables_present(conn: asyncpg.Connection) -> set[str]:
    rows = await conn.fetch("SELECT t FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NOT NULL", list(TABLES))
    return {r["t"] for r in rows}


async def _mention(conn: asyncpg.Connection, present: set[str], channel: str, native_id: str,
                   with_text: bool) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT channel, native_id, mention_id, thread_root, received_at, seen FROM ingest.mentions"
        " WHERE channel = $1 AND native_id = $2", channel, native_id)
    if row is None:
        return None
    mention = _row(row, "channel", "native_id", "mention_id", "thread_root", "received_at")
    mention["deliveries"] = row["seen"]  # how many times it arrived: duplicates by replay, webhook, poll
    # ingest's ledger keeps only keys; what the mention was is in crm-sync's interaction record
    interaction = None
    if "crm.interactions" in present:
        interaction = await conn.fetchrow(
            "SELECT kind, visibility, text, occurred_at FROM crm.interactions WHERE mention_id = $1",
            row["mention_id"])
    mention["created_at"] = _plain(interaction["occurred_at"]) if interaction else None
    mention["kind"] = interaction["kind"] if interaction else None
    mention["visibility"] = interaction["visibility"] if interaction else None
    if with_text:  # personal data: only when asked for
        mention["text"] = interaction["text"] if interaction else None
    return mention


async def _classification(conn: asyncpg.Connection, mention_id: uuid.UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT category, issue_type, urgency, language, script, model_version, classified_at, classification"
        " FROM classifier.classifications WHERE mention_id = $1", mention_id)
    if row is None:
        return None
    whole = json.loads(row["classification"]) if row["classification"] else {}
    explained = _row(row, "category", "issue_type", "urgency", "language", "script", "model_version",
                     "classified_at")
    explained.update({k: whole.get(k) for k in WHOLE_CLASSIFICATION})
    return explained


async def _case(conn: asyncpg.Connection, present: set[str], mention_id: uuid.UUID,
                with_text: bool) -> dict[str, Any] | None:
    lifecycle = "router.case_events" in present
    row = await conn.fetchrow(
        "SELECT c.case_id, c.status, r.department, c.department AS case_department, r.mode, r.priority,"
        " c.priority AS case_priority, r.sla_due_at, c.sla_due_at AS case_sla_due_at, r.rule_id, r.routed_at,"
        " c.channel, c.thread_root, c.first_mention_id, c.opened_at"
        + "".join(f", c.{column}" for column in CASE_LIFECYCLE if lifecycle) +
        " FROM router.routed r JOIN router.cases c USING (case_id) WHERE r.mention_id = $1", mention_id)
    if row is None:
        return None
    case = _row(row, "case_id", "status", "department", "case_department", "mode", "priority", "case_priority",
                "sla_due_at", "case_sla_due_at", "rule_id", "routed_at", "thread_root", "first_mention_id",
                "opened_at", *(CASE_LIFECYCLE if lifecycle else ()))
    if lifecycle:
        case["transitions"] = await _lifecycle(conn, row["case_id"])
    else:
        case["transitions"] = await _transitions(conn, present, row["case_id"], row["first_mention_id"],
                                                 row["opened_at"])
    if "router.case_answers" in present:
        case["answers"] = [
            {**_row(a, "answer_id", "kind", "author", "created_at", "reply_status", "reply_error", "sent_at"),
             "visibility": json.loads(a["body"]).get("visibility")}
            for a in await conn.fetch("SELECT * FROM router.case_answers WHERE case_id = $1 ORDER BY created_at",
                                      row["case_id"])]
    if "router.case_notes" in present:
        notes = await conn.fetch("SELECT author, text, created_at FROM router.case_notes WHERE case_id = $1"
                                 " ORDER BY created_at", row["case_id"])
        # a note may quote the customer: its text only with --text
        case["notes"] = [_row(n, "author", "created_at", *(("text",) if with_text else ())) for n in notes]
    return case


async def _lifecycle(conn: asyncpg.Connection, case_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every transition the router announced for the case, in order."""
    rows = await conn.fetch("SELECT seq, body FROM router.case_events WHERE case_id = $1 ORDER BY seq", case_id)
    steps = []
    for r in rows:
        event = json.loads(r["body"])
        steps.append({"transition": event["kind"].replace("_", " "), "at": event["occurred_at"],
                      "status": event.get("status"), "actor": event.get("actor"),
                      "department": event.get("department"), "detail": event.get("detail") or None,
                      **({"mention_id": event["mention_id"]} if event.get("mention_id") else {}),
                      **({"rating": event["rating"]} if event.get("rating") else {})})
    return steps


async def _transitions(conn: asyncpg.Connection, present: set[str], case_id: uuid.UUID,
                       first_mention_id: uuid.UUID, opened_at: datetime) -> list[dict[str, Any]]:
    """The case's history as far as a database from before the lifecycle holds it, oldest first."""
    steps: list[tuple[datetime, dict[str, Any]]] = [
        (opened_at, {"transition": OPENED, "at": _plain(opened_at), "mention_id": str(first_mention_id)})]
    for r in await conn.fetch("SELECT mention_id, routed_at FROM router.routed"
                              " WHERE case_id = $1 AND mention_id <> $2", case_id, first_mention_id):
        steps.append((r["routed_at"], {"transition": MENTION_ADDED, "at": _plain(r["routed_at"]),
                                       "mention_id": str(r["mention_id"])}))
    if "responder.replies" in present:
        first = await conn.fetchrow(
            "SELECT reply_id, mention_id, sent_at FROM responder.replies"
            " WHERE case_id = $1 AND status = 'sent' ORDER BY sent_at LIMIT 1", case_id)
        if first is not None:
            steps.append((first["sent_at"], {"transition": FIRST_RESPONSE, "at": _plain(first["sent_at"]),
                                             "mention_id": str(first["mention_id"]),
                                             "reply_id": str(first["reply_id"])}))
    return [step for _, step in sorted(steps, key=lambda s: s[0])]


async def _replies(conn: asyncpg.Connection, mention_id: uuid.UUID,
                   case_id: uuid.UUID | None) -> list[dict[str, Any]]:
    """The mention's automatic reply and every answer and follow-up on its case, oldest first."""
    columns = {r["column_name"] for r in await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'responder'"
        " AND table_name = 'replies'")}
    answers = "kind" in columns and case_id is not None
    rows = await conn.fetch(
        "SELECT * FROM responder.replies WHERE mention_id = $1"
        + (" OR (case_id = $2 AND kind <> 'auto')" if answers else "") + " ORDER BY created_at",
        mention_id, *((case_id,) if answers else ()))
    replies = []
    for r in rows:
        reply = _row(r, "reply_id", "status", "text", "visibility", "channel", "language", "script", "mode",
                     "template_id", "error", "created_at", "sent_at")
        kind = r["kind"] if "kind" in columns else "auto"
        reply["kind"] = kind
        reply["substantive"] = r["substantive"] if "substantive" in columns else False
        if kind == "agent":
            reply["written_by"] = r["author"]
        elif kind == "follow_up":
            reply["written_by"] = f"responder (automatic follow-up), template {r['template_id']}"
        else:  # nothing is written for spam
            reply["written_by"] = f"responder (automatic), template {r['template_id']}" if r["template_id"] else None
        replies.append(reply)
    return replies


async def _customer(conn: asyncpg.Connection, present: set[str], mention_id: uuid.UUID,
                    with_text: bool) -> dict[str, Any] | None:
    if not {"crm.customers", "crm.identities"} <= present:
        return None
    row = await conn.fetchrow(
        "SELECT c.customer_id, c.tier, c.owner, c.display_name, c.version, c.created_at,"
        " (SELECT count(*) FROM crm.interactions n WHERE n.customer_id = c.customer_id) AS interactions"
        " FROM crm.interactions i JOIN crm.customers c USING (customer_id) WHERE i.mention_id = $1", mention_id)
    if row is None:
        return None
    customer = _row(row, "customer_id", "tier", "owner", "version", "created_at", "interactions")
    if with_text:  # a person's name is personal data
        customer["display_name"] = row["display_name"]
    identities = await conn.fetch(
        "SELECT channel, platform_id, handle, followers, first_seen FROM crm.identities"
        " WHERE customer_id = $1 ORDER BY first_seen, channel, platform_id", row["customer_id"])
    customer["identities"] = [_row(i, "channel", "platform_id", "handle", "followers", "first_seen")
                              for i in identities]
    return customer


async def explain(dsn: str, channel: str, native_id: str, with_text: bool = False) -> dict[str, Any] | None:
    """The story of the mention `channel`/`native_id`, or None when ingest never received it."""
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction(readonly=True):
            present = await _tables_present(conn)
            if "ingest.mentions" not in present:
                return None
            mention = await _mention(conn, present, channel, native_id, with_text)
            if mention is None:
                return None
            mention_id = uuid.UUID(mention["mention_id"])
            case = (await _case(conn, present, mention_id, with_text)
                    if {"router.routed", "router.cases"} <= present else None)
            case_id = uuid.UUID(case["case_id"]) if case else None
            return {
                "mention": mention,
                "classification": (await _classification(conn, mention_id)
                                   if "classifier.classifications" in present else None),
                "case": case,
                "replies": await _replies(conn, mention_id, case_id) if "responder.replies" in present else [],
                "customer": await _customer(conn, present, mention_id, with_text),
            }
    finally:
        await conn.close()


def _block(title: str, fields: dict[str, Any] | None, skip: tuple[str, ...] = ()) -> list[str]:
    if fields is None:
        return [title, "  (nothing recorded)"]
    shown = {k: v for k, v in fields.items() if k not in skip}
    width = max((len(k) for k in shown), default=0)
    lines = [title]
    for key, value in shown.items():
        if isinstance(value, list | dict):
            value = json.dumps(value, ensure_ascii=False) if value else "—"
        lines.append(f"  {key.replace('_', ' '):<{width}}  {'—' if value is None else value}")
    return lines


def format_story(story: dict[str, Any]) -> str:
    """A readable block per section, for people."""
    m = story["mention"]
    lines = _block(f"mention {m['channel']}/{m['native_id']}", m)
    lines += _block("classification", story["classification"])
    case = story["case"]
    lines += _block("case", case, skip=("transitions", "answers", "notes"))
    for step in (case or {}).get("transitions", []):
        said = [f"→ {step['status']}" if step.get("status") else "", f"by {step['actor']}" if step.get("actor") else "",
                f"({step['department']})" if step.get("department") else "",
                f"rating {step['rating']}" if step.get("rating") else "", step.get("detail") or "",
                f"[mention {step['mention_id']}]" if step.get("mention_id") else ""]
        lines.append(f"    {step['at']}  {step['transition']}  " + "  ".join(p for p in said if p))
    for note in (case or {}).get("notes", []):
        lines.append(f"    note by {note['author']} at {note['created_at']}" + (f": {note['text']}" if "text" in note
                                                                                   else ""))
    replies = story["replies"]
    lines.append(f"replies ({len(replies)})")
    for reply in replies:
        lines += ["  " + line for line in _block(f"reply {reply['reply_id']}", reply, skip=("reply_id",))]
    customer = story["customer"]
    lines += _block("customer", customer, skip=("identities",))
    for identity in (customer or {}).get("identities", []):
        lines.append(f"    {identity['channel']}:{identity['platform_id']}  @{identity['handle'] or '—'}"
                     f"  {identity['followers']} followers  since {identity['first_seen']}")
    return "\n".join(lines)
