"""WeChat Official Account message push: plaintext XML (text, image, voice, video, location,
link messages; events). Events (subscribe, menu clicks) are engagement, not mentions. Safe-mode
messages reach this parser already decrypted by the webhook receiver (see wechat_crypto.py)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from heed.contracts.events import Author, Channel, MentionKind, Visibility
from heed_ingest.channels.fields import from_epoch
from heed_ingest.domain.drafts import MentionDraft, ParseResult, UnparseableBody

MAX_XML_BYTES = 256 * 1024


def parse_wechat(body: bytes) -> ParseResult:
    if len(body) > MAX_XML_BYTES:
        raise UnparseableBody(f"WeChat body is {len(body)} bytes; messages are far smaller")
    # WeChat sends UTF-8. Decoding first and parsing the text keeps the DOCTYPE check honest: as
    # bytes, a UTF-16 body would hide its entity declarations from it and expat would expand them.
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnparseableBody(f"WeChat body is not UTF-8: {exc.reason} at byte {exc.start}") from None
    if "\x00" in text:
        raise UnparseableBody("WeChat body contains NUL characters; XML allows none")
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise UnparseableBody("WeChat body declares a DOCTYPE or entity; refused")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise UnparseableBody(f"WeChat body is not XML: {exc}") from None
    if root.tag != "xml":
        raise UnparseableBody(f"WeChat body: root element is <{root.tag[:20]}>, expected <xml>")

    def field(name: str) -> str:
        node = root.find(name)
        return (node.text or "").strip() if node is not None else ""

    parsed = ParseResult()
    if field("Encrypt") and not field("MsgType"):
        # the webhook decrypts safe-mode messages when it has the key; one that arrives here came without it
        raise UnparseableBody("WeChat message is encrypted (safe mode) and HEED_WECHAT_ENCODING_AES_KEY is not set, "
                              "so the webhook could not decrypt it: set it and HEED_WECHAT_APP_ID from the WeChat "
                              "console (开发 → 基本配置); messages after that are decrypted on arrival")
    msg_type, sender = field("MsgType"), field("FromUserName")
    if not msg_type or not sender:
        raise UnparseableBody("WeChat message lacks MsgType or FromUserName")
    if msg_type == "event":
        parsed.engagement += 1
        return parsed
    text = {"text": field("Content"), "link": f"{field('Title')} {field('Url')}".strip(),
            "location": f"[location] {field('Label')}".strip()}.get(msg_type, f"[{msg_type}]")
    if msg_type in ("image", "video", "shortvideo") and not text:
        text = f"[{msg_type}]"
    if msg_type == "voice" and field("Recognition"):
        text = field("Recognition")
    native = field("MsgId") or f"{sender}:{field('CreateTime')}"
    parsed.drafts.append(MentionDraft(
        channel=Channel.WECHAT, native_id=native, account=field("ToUserName") or None,
        kind=MentionKind.DIRECT_MESSAGE, visibility=Visibility.PRIVATE,
        author=Author(platform_id=sender), text=text,
        created_at=from_epoch(field("CreateTime"), "CreateTime"), thread_root=f"dm:{sender}",
    ))
    return parsed
