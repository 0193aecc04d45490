"""`heed explain` on the real broker and PostgreSQL: a few mentions through the in-process pipeline,
then the story of one of them matches what each service recorded, without its text unless asked."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg
import pytest

from heed_ingest.replay import replay_file
from tests.harness import client_publisher, count, mention_line, pipeline, wait_for, write_jsonl

pytestmark = pytest.mark.integration


async def test_explain_tells_what_each_service_recorded_about_one_mention(
        heed, database_url, fresh_broker, tmp_path: Path, capsys):
    dsn = database_url
    lines: list[dict[str, object] | bytes] = [mention_line(i, "ex") for i in range(6)]
    # the customer behind ex-2 writes again in the same thread: the case gains a mention
    follow_up = mention_line(8, "ex", in_reply_to="ex-2", author={"id": "ex-user-2", "handle": "user2",
                                                                   "name": "User 2", "followers": 10})
    lines.append(follow_up)
    path = write_jsonl(tmp_path / "explain.jsonl", lines)
    async with pipeline(fresh_broker, dsn), client_publisher(fresh_broker) as publisher:
        assert await replay_file(path, publisher) == 7

        async def all_through() -> bool:
            return (await count(dsn, "SELECT count(*) FROM crm.interaction_replies") == 7
                    and await count(dsn, "SELECT count(*) FROM crm.interactions") == 7
                    and await count(dsn, "SELECT count(*) FROM classifier.classifications") == 7)

        await wait_for(all_through, timeout=90)

        async def acknowledged() -> bool:  # the router has followed the replies sent
            # queued for the department, or answered by the knowledge base (the robot-vacuum question)
            return await count(dsn, "SELECT count(*) FROM router.case_events WHERE kind IN ('queued', 'answered')") == 6

        await wait_for(acknowledged, timeout=60)

    conn = await asyncpg.connect(dsn)
    try:
        mention_id = await conn.fetchval(
            "SELECT mention_id FROM ingest.mentions WHERE channel = 'x' AND native_id = 'ex-2'")
        classified = await conn.fetchrow("SELECT * FROM classifier.classifications WHERE mention_id = $1", mention_id)
        routed = await conn.fetchrow("SELECT * FROM router.routed WHERE mention_id = $1", mention_id)
        reply = await conn.fetchrow("SELECT * FROM responder.replies WHERE mention_id = $1", mention_id)
        customer_id = await conn.fetchval("SELECT customer_id FROM crm.interactions WHERE mention_id = $1",
                                          mention_id)
    finally:
        await conn.close()
    assert classified is not None and routed is not None and reply is not None

    code, out = await heed("explain", "x", "ex-2", "--json")
    assert code == 0
    story = json.loads(out)
    assert set(story) == {"mention", "classification", "case", "replies", "customer"}

    mention = story["mention"]
    assert (mention["channel"], mention["native_id"], mention["mention_id"]) == ("x", "ex-2", str(mention_id))
    assert (mention["kind"], mention["visibility"]) == ("post", "public")
    assert mention["received_at"] and mention["thread_root"] == "ex-2"
    assert "text" not in mention  # personal data: only with --text
    assert "I was charged twice" not in out

    c = story["classification"]
    assert c["category"] == classified["category"]
    assert (c["issue_type"], c["urgency"], c["language"], c["script"], c["model_version"]) == (
        classified["issue_type"], classified["urgency"], classified["language"], classified["script"],
        classified["model_version"])
    # what only the whole stored Classification holds
    assert isinstance(c["sentiment"], float) and -1.0 <= c["sentiment"] <= 1.0
    assert c["complexity"] and isinstance(c["pii"], list) and isinstance(c["confidences"], dict)
    assert isinstance(c["explanation"], str)

    case = story["case"]
    assert case["case_id"] == str(routed["case_id"])
    assert (case["department"], case["mode"], case["priority"], case["rule_id"]) == (
        routed["department"], routed["mode"], routed["priority"], routed["rule_id"])
    assert case["sla_due_at"] == routed["sla_due_at"].isoformat()
    assert case["status"] == "pending_department" and case["first_response_at"] is None  # acknowledged only
    transitions = [t["transition"] for t in case["transitions"]]
    # the follow-up may be routed before or after the acknowledgement comes back
    assert transitions[0] == "opened" and case["transitions"][0]["mention_id"] == str(mention_id)
    assert sorted(transitions[1:]) == ["acknowledged", "mention added", "queued"]
    assert transitions.index("acknowledged") < transitions.index("queued")
    by_kind = {t["transition"]: t for t in case["transitions"]}
    assert by_kind["acknowledged"]["actor"] == "heed:responder"
    assert by_kind["queued"]["status"] == "pending_department"
    assert case["answers"] == [] and case["notes"] == []

    (r,) = story["replies"]
    assert r["text"] == reply["text"] and r["text"]
    assert (r["status"], r["visibility"], r["channel"], r["script"], r["template_id"]) == (
        "sent", reply["visibility"], "x", reply["script"], reply["template_id"])
    assert r["sent_at"] == reply["sent_at"].isoformat()
    assert r["template_id"] in r["written_by"] and (r["kind"], r["substantive"]) == ("auto", False)

    customer = story["customer"]
    assert customer["customer_id"] == str(customer_id)
    assert customer["tier"] == "standard" and customer["interactions"] == 2
    assert [(i["channel"], i["platform_id"]) for i in customer["identities"]] == [("x", "ex-user-2")]
    assert "display_name" not in customer

    code, out = await heed("explain", "x", "ex-2", "--json", "--text")
    with_text = json.loads(out)
    assert with_text["mention"]["text"] == "I was charged twice for my order, please fix this (2)"
    assert with_text["customer"]["display_name"] == "User 2"

    code, human = await heed("explain", "x", "ex-2")
    assert code == 0
    for expected in ("mention x/ex-2", "classification", classified["category"], str(routed["case_id"]),
                     "acknowledged", "→ pending_department", reply["text"], str(customer_id), "x:ex-user-2"):
        assert expected in human
    assert "I was charged twice" not in human

    capsys.readouterr()
    code, out = await heed("explain", "x", "no-such-post")
    assert code == 1 and out == ""
    assert "no mention x/no-such-post" in capsys.readouterr().err
