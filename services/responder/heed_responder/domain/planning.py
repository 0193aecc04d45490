"""What the responder decides for a routed mention, with no I/O: the reply to queue, where the
customer sees it, and the events that report what became of it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from heed.contracts.events import (
    AnswerKind,
    CaseAnswer,
    Category,
    Channel,
    HandlingMode,
    Reply,
    ReplyKind,
    ReplyStatus,
    RoutedCase,
    Visibility,
    customer_id_for,
    derive_id,
)
from heed.secure_link import issue
from heed_responder.domain.catalog import KNOWN, LANGUAGES, Brand, Catalog, local_time, render_text
from heed_responder.domain.customers import NO_PROFILE, CustomerProfile, preferred_language
from heed_responder.domain.guard import GuardInput, Verdict, check, platform_length, platform_limit
from heed_responder.domain.knowledge import EMPTY, Knowledge
from heed_responder.domain.outbox import ERASED, REPORTED, OutboxRow, OutboxStatus, forget
from heed_responder.domain.regional import region_of
from heed_responder.domain.templates import in_script, reply_language

# a template id ends with it and the customer's language when the brand has no replies in that language
FALLBACK_MARK = "+fallback-from-"


@dataclass(frozen=True)
class ReplyContext:
    """What automatic replies say and how: the replies file (templates and brand per account), and
    the secure links of private handling."""

    catalogs: Callable[[], Catalog]  # the replies file as it stands (a reload applies to the next batch)
    knowledge: Callable[[], Knowledge] = lambda: EMPTY  # the knowledge base as it stands
    link_keys: tuple[bytes, ...] = ()  # HEED_SECURE_LINK_KEY: none, no secure links
    verify_url: str | None = None  # the verification page up to the token (crm-sync's /verify)
    link_ttl: timedelta = timedelta(hours=24)

    @property
    def catalog(self) -> Catalog:
        return self.catalogs()

    def secure_link(self, routed: RoutedCase, language: str, script: str | None) -> str | None:
        """The verification link for this case and customer, or None when none is configured.
        Derived from the mention alone (its id names the link, its receipt starts the link's life),
        so planning the mention again gives the same link."""
        if not self.link_keys or not self.verify_url:
            return None
        m = routed.mention
        page_language = f"zh-{script or 'Hans'}" if language == "zh" else language if language in ("en", "th") \
            else None
        return issue(self.link_keys, case_id=routed.case_id, customer_id=customer_id_for(m.channel.value,
                     m.author.platform_id), link_id=derive_id("secure-link", routed.mention_id),
                     expires_at=m.received_at + self.link_ttl, base_url=self.verify_url, language=page_language)


def reply_visibility(routed: RoutedCase) -> Visibility:
    """Where the automatic reply goes: where the customer wrote. Private handling of a public post
    is a short public acknowledgement plus a private message (`plan_handoff`), never a private
    message alone: the thread sees the brand answer."""
    return Visibility.PRIVATE if routed.mention.visibility is Visibility.PRIVATE else Visibility.PUBLIC


def plan(routed: RoutedCase, context: ReplyContext, profile: CustomerProfile = NO_PROFILE) -> OutboxRow:
    """The outbox row for a routed mention: a rendered reply, or `ignored` for spam.

    Its reply id derives from the mention, so however often a mention is planned it is one reply.
    A general question the knowledge base recognises gets its answer (`substantive`: the case is
    answered); every other template thanks, acknowledges, promises an answer or hands over to
    private messages, so the case's first response is still owed by the department.
    `profile` is what the customer record says of the author: the name on record to greet by (in a
    private reply only: a public one shows the post's own name), the language to answer in; a
    mention from before the customer's erasure gets no reply and keeps nothing of them.
    """
    m = routed.mention
    ignored = OutboxRow(
        reply_id=derive_id("reply", routed.mention_id), mention_id=routed.mention_id, case_id=routed.case_id,
        channel=m.channel.value, visibility=reply_visibility(routed).value, mode=routed.handling_mode.value,
        in_reply_to=m.native_id, recipient=m.author.platform_id, received_at=m.received_at,
        sla_due_at=routed.sla_due_at, text=None, language=None, script=None, template_id=None,
        status=OutboxStatus.IGNORED, account=m.account, thread_root=m.thread_root)
    if profile.forgets(m.received_at):
        return replace(forget(ignored), error=ERASED)
    if routed.handling_mode is HandlingMode.IGNORE:
        return ignored
    in_place = routed.handling_mode is HandlingMode.PRIVATE and m.visibility is Visibility.PRIVATE
    pending = replace(ignored, status=OutboxStatus.PENDING)
    answered = _answer(pending, routed, context, profile)
    if answered is not None:
        return answered
    mode = "private_in_place" if in_place else routed.handling_mode.value
    link = context.secure_link(routed, *_language(routed, context, profile)[:2]) if in_place else None
    return _render(pending, routed, context, mode, link, profile)


def plan_handoff(routed: RoutedCase, context: ReplyContext, profile: CustomerProfile = NO_PROFILE
                 ) -> OutboxRow | None:
    """The private message that goes with the public acknowledgement of an angry or sensitive
    public post, carrying the secure verification link; None for any other mention (and for one
    from before the customer's erasure)."""
    m = routed.mention
    if routed.handling_mode is not HandlingMode.PRIVATE or m.visibility is Visibility.PRIVATE:
        return None
    if profile.forgets(m.received_at):
        return None
    link = context.secure_link(routed, *_language(routed, context, profile)[:2])
    row = OutboxRow(
        reply_id=derive_id("reply", "handoff", routed.mention_id), mention_id=routed.mention_id,
        case_id=routed.case_id, channel=m.channel.value, visibility=Visibility.PRIVATE.value,
        mode=routed.handling_mode.value, in_reply_to=m.native_id, recipient=m.author.platform_id,
        received_at=m.received_at, sla_due_at=routed.sla_due_at, text=None, language=None, script=None,
        template_id=None, status=OutboxStatus.PENDING, kind=ReplyKind.HANDOFF.value, account=m.account,
        thread_root=m.thread_root)
    return _render(row, routed, context, "handoff" if link else "handoff_no_link", link, profile)


def _answer(row: OutboxRow, routed: RoutedCase, context: ReplyContext, profile: CustomerProfile
            ) -> OutboxRow | None:
    """The knowledge base's answer to a general question it recognises with enough confidence, as
    a substantive reply (the case is answered by it); None when there is none, or when the guard
    refuses it here (the holding reply goes instead). The question is recognised in the post's
    language and answered in the reply's (the customer's preference on record, if any)."""
    c, m = routed.classification, routed.mention
    if routed.handling_mode is not HandlingMode.ANSWER or c.category is not Category.QUESTION:
        return None
    if c.language not in LANGUAGES:
        return None  # a question in a language the knowledge base has no patterns for
    found = context.knowledge().match(m.text, c.language, c.script)
    if found is None:
        return None
    language, script, _ = _language(routed, context, profile)
    brand = context.catalog.brand_for(m.account)
    region = region_of(m.text, market=brand.market) if script == "Hant" else None
    for customer_name in _greetings(profile, row.visibility == Visibility.PRIVATE.value):
        values = _values(routed, brand, language, link=None, customer_name=customer_name)
        text = render_text(found.entry.answer[language], language, script=script, region=region, values=values)
        candidate = replace(row, text=text, language=language, script=script,
                            template_id=f"kb:{found.entry.id}/{language}@{found.confidence}", substantive=True)
        if _verdict(candidate, routed, profile).ok:
            return candidate
    return None


def _greetings(profile: CustomerProfile, private: bool) -> tuple[str, ...]:
    """The names on record to try, in order: the name, then none (a reply that does not fit the
    channel with the name goes without it rather than to a person). A public reply greets by no
    name on record: the CRM's or an agent's real name would tell everyone reading the thread who
    a pseudonymous handle is, so its templates fall back to the name the post shows."""
    return (profile.display_name, "") if profile.display_name and private else ("",)


def _values(routed: RoutedCase, brand: Brand, language: str, link: str | None, customer_name: str) -> dict[str, str]:
    m = routed.mention
    name = m.author.name or m.author.handle or ("there" if language == "en" else "")
    return {"name": name, "customer_name": customer_name, "department": brand.department(routed.department, language),
            "case": str(routed.case_id)[:8].upper(), "due": local_time(routed.sla_due_at, language, brand.time_zone),
            "hotline": brand.hotline, "brand": brand.name, "link": link or ""}


def _language(routed: RoutedCase, context: ReplyContext, profile: CustomerProfile
              ) -> tuple[str, str | None, str | None]:
    """The reply's language and script, and the post's language when the brand has no templates in it."""
    c = routed.classification
    return reply_language(c.language, c.script, context.catalog.brand_for(routed.mention.account).default_language,
                          preferred_language(profile.language, LANGUAGES))


def _render(row: OutboxRow, routed: RoutedCase, context: ReplyContext, mode: str, link: str | None,
            profile: CustomerProfile) -> OutboxRow:
    """The row with the first variant of its template the reply guard lets through on the post's
    channel, greeting a private reply by the name on record if one fits, else without it; if none passes, the
    first without the name, held for a person with the guard's reasons."""
    m, c = routed.mention, routed.classification
    brand = context.catalog.brand_for(m.account)
    language, script, foreign = _language(routed, context, profile)
    entry = context.catalog.pick(mode, c.category, c.issue_type)
    # the regional standard matters only to a Traditional reply
    region = region_of(m.text, market=brand.market) if script == "Hant" else None
    first: tuple[OutboxRow, Verdict] | None = None
    for customer_name in _greetings(profile, row.visibility == Visibility.PRIVATE.value):
        first = None  # held, a reply goes without the name: the reasons are those that remain without it
        values = _values(routed, brand, language, link, customer_name)
        variants = context.catalog.render(entry, language, script=script, region=region, values=values,
                                          keep=[values["name"], customer_name, *([link] if link else [])])
        if link and mode == "private_in_place":
            [extra] = context.catalog.render(context.catalog.pick("link_in_place"), language, script=script,
                                             region=region, values=values)[:1]
            variants = [replace(v, text=v.text + extra.text, template_id=v.template_id + "+link") for v in variants]
        for variant in variants:
            template_id = variant.template_id + (f"{FALLBACK_MARK}{foreign}" if foreign else "")
            candidate = replace(row, text=variant.text, language=variant.language, script=variant.script,
                                template_id=template_id)
            verdict = _verdict(candidate, routed, profile)
            if verdict.ok:
                return candidate
            first = first or (candidate, verdict)
    assert first is not None  # a template has at least one variant
    return replace(first[0], status=OutboxStatus.FAILED, error=held(first[1]))


def _verdict(row: OutboxRow, routed: RoutedCase, profile: CustomerProfile) -> Verdict:
    m, c = routed.mention, routed.classification
    return check(GuardInput(
        text=row.text or "", channel=row.channel, private=row.visibility == Visibility.PRIVATE.value, automatic=True,
        mode=routed.handling_mode.value, category=c.category.value, sentiment=c.sentiment,
        sales_lead=c.category is Category.SALES_LEAD, post_text=m.text,
        post_private=m.visibility is Visibility.PRIVATE, script=row.script, customer_pii=customer_values(m.text),
        protected=[v for v in (m.author.name, m.author.handle, profile.display_name) if v]))


def held(verdict: Verdict) -> str:
    """The reason a reply the guard refused goes to a person instead (names no customer data)."""
    return "held by the reply guard: " + "; ".join(verdict.reasons)


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_NUMBER = re.compile(r"[A-Za-z]{0,3}\d[\d\s-]{4,}\d")


def customer_values(text: str) -> list[str]:
    """What the customer wrote that a public reply must never repeat: emails, and numbers of six
    digits or more (phones, orders, bookings, cards) with any letters before them."""
    found = _EMAIL.findall(text)
    found += [n for n in _NUMBER.findall(text) if sum(ch.isdigit() for ch in n) >= 6]
    return found


def plan_answer(answer: CaseAnswer, context: ReplyContext, profile: CustomerProfile = NO_PROFILE) -> OutboxRow:
    """The outbox row sending a CaseAnswer: an agent's text in the customer's script, or the follow-up.

    A public answer longer than the channel allows is refused (failed, with the reason) rather
    than cut: an agent's answer is theirs to shorten, and the case goes back to the queue. A private
    follow-up greets by the name on record when it fits (a public one by no name), in the language on record; an agent's
    Chinese answer goes in the script on record. An answer to a mention from before the customer's
    erasure is not sent and keeps nothing of them.
    """
    private = answer.visibility is Visibility.PRIVATE
    brand = context.catalog.brand_for(answer.account)
    row = OutboxRow(
        reply_id=derive_id("reply", "answer", answer.answer_id), mention_id=answer.mention_id,
        case_id=answer.case_id, channel=answer.channel.value, visibility=answer.visibility.value,
        mode=(HandlingMode.ACKNOWLEDGE if answer.kind is AnswerKind.FOLLOW_UP else HandlingMode.ANSWER).value,
        in_reply_to=answer.in_reply_to, recipient=answer.recipient_platform_id, received_at=answer.received_at,
        sla_due_at=None, text=None, language=answer.language, script=answer.script, template_id="agent",
        status=OutboxStatus.PENDING, kind=answer.kind.value, author=answer.author, answer_id=answer.answer_id,
        substantive=answer.kind is AnswerKind.AGENT, thread_root=answer.thread_root, account=answer.account)
    if profile.forgets(answer.received_at):
        return replace(forget(row), status=OutboxStatus.IGNORED, error=ERASED, language=None, script=None,
                       template_id=None)
    preferred = preferred_language(profile.language, LANGUAGES)
    region = region_of("", market=brand.market)
    texts: list[tuple[str, str]] = []
    if answer.kind is AnswerKind.FOLLOW_UP:
        language, script, foreign = reply_language(answer.language, answer.script, brand.default_language, preferred)
        for customer_name in _greetings(profile, private):
            [rendered] = context.catalog.render(
                context.catalog.pick("follow_up"), language, script=script, region=region,
                values={**dict.fromkeys(KNOWN, ""), "customer_name": customer_name, "brand": brand.name,
                        "hotline": brand.hotline, "case": str(answer.case_id)[:8].upper(),
                        "department": brand.department(answer.department, language)})[:1]
            texts.append((rendered.text, rendered.template_id + (f"{FALLBACK_MARK}{foreign}" if foreign else "")))
    else:
        language, script = answer.language, answer_script(answer.language, answer.script, profile)
        texts.append((in_script(answer.text or "", script if language == "zh" else None, region), "agent"))
    refused: OutboxRow | None = None  # the last refused: without the name, the reasons that remain
    for text, template_id in texts:
        candidate = replace(row, text=text, language=language, script=script, template_id=template_id)
        if not text.strip():
            candidate = replace(candidate, status=OutboxStatus.FAILED, error="the answer is empty")
        else:
            # an agent's answer: placeholders, length the platform's way, script; no template checks
            verdict = agent_verdict(text, channel=answer.channel.value, private=private, language=language,
                                    script=script, profile=profile)
            if not verdict.ok:
                candidate = replace(candidate, status=OutboxStatus.FAILED, error=held(verdict))
        if candidate.status is OutboxStatus.PENDING:
            return candidate
        refused = candidate
    assert refused is not None  # one text at least
    return refused


def answer_script(language: str, script: str | None, profile: CustomerProfile = NO_PROFILE) -> str | None:
    """The script of an agent's Chinese answer: the one on record (`customers.preferred_language`)
    when there is one, else the post's."""
    preferred = preferred_language(profile.language, LANGUAGES)
    if language == "zh" and preferred is not None and preferred[0] == "zh" and preferred[1] is not None:
        return "Hant" if preferred[1] == "Hant" else "Hans"
    return script


def agent_verdict(text: str, *, channel: str, private: bool, language: str, script: str | None,
                  profile: CustomerProfile = NO_PROFILE) -> Verdict:
    """The guard on an agent's answer as it will be sent: placeholders, the platform's length, the
    script; no template checks (an agent's judgement stands)."""
    return check(GuardInput(
        text=text, channel=channel, private=private, automatic=False, mode=HandlingMode.ANSWER.value,
        category=None, sentiment=None, sales_lead=False, post_text="", post_private=private,
        script=script if language == "zh" else None,
        protected=[profile.display_name] if profile.display_name else ()))


@dataclass(frozen=True)
class AnswerPreview:
    """An agent's answer exactly as `plan_answer` would send it, with the guard's verdict."""

    text: str
    language: str
    script: str | None
    length: int
    limit: int
    verdict: Verdict


def preview_answer(text: str, *, channel: str, private: bool, language: str, script: str | None,
                   account: str | None, context: ReplyContext, profile: CustomerProfile = NO_PROFILE
                   ) -> AnswerPreview:
    """What the customer will read if an agent sends `text` now: the same script conversion, regional
    standard and guard as `plan_answer`, and the length as the platform counts it."""
    script = answer_script(language, script, profile)
    region = region_of("", market=context.catalog.brand_for(account).market)
    shown = in_script(text, script if language == "zh" else None, region)
    verdict = (Verdict(False, ("empty: the answer is empty",)) if not shown.strip() else
               agent_verdict(shown, channel=channel, private=private, language=language, script=script,
                             profile=profile))
    return AnswerPreview(text=shown, language=language, script=script if language == "zh" else None,
                         length=platform_length(shown, channel), limit=platform_limit(channel, private),
                         verdict=verdict)


def reply_event(row: OutboxRow, now: datetime) -> Reply:
    """The `heed.replies` event of a sent or failed reply."""
    return Reply(
        event_id=derive_id("reply-event", row.reply_id, row.status), occurred_at=now, reply_id=row.reply_id,
        mention_id=row.mention_id, case_id=row.case_id, channel=Channel(row.channel),
        visibility=Visibility(row.visibility), handling_mode=HandlingMode(row.mode), in_reply_to=row.in_reply_to,
        recipient_platform_id=row.recipient, text=row.text or "", language=row.language or "und",
        script="Hant" if row.script == "Hant" else "Hans" if row.script == "Hans" else None,
        template_id=row.template_id or "", status=ReplyStatus(row.status), error=row.error,
        language_fallback=language_fallback(row.template_id),
        received_at=row.received_at, sent_at=row.sent_at, kind=ReplyKind(row.kind), answer_id=row.answer_id,
        author=row.author, substantive=row.substantive)


def language_fallback(template_id: str | None) -> str | None:
    """The customer's language a reply was not written in (its template id says so: `_render`)."""
    return (template_id or "").partition(FALLBACK_MARK)[2] or None


def outcome(row: OutboxRow, now: datetime) -> Reply | None:
    """The reply event once the reply is sent, failed or unknown (None while pending, sending or ignored,
    and for a reply whose customer's data was erased: nothing is said of them again).

    Its id derives from the reply and its status, so a redelivery reports the same event. What the
    reply did to the case (acknowledged, answered, first response) is the router's to announce.
    """
    if row.status not in REPORTED or row.erased:
        return None
    return reply_event(row, now)
