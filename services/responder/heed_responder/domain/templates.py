"""Reply templates per handling mode, category and language, rendered in the customer's script.

Chinese templates are written once in Simplified; a post in Traditional script gets the reply in
its region's standard (Hong Kong or Taiwan, `regional.py`) with the customer's own name untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from heed.contracts.events import Category, Classification, HandlingMode, Mention, Visibility
from heed_responder.domain.regional import region_of, to_simplified, to_traditional

# A private conversation that needs private handling: it stays where it is (never "move to private").
PRIVATE_IN_PLACE: dict[str, str] = {
    "en": "Hi {name}, we're sorry about this and we're on it. Our {department} team has your case ({case}) and "
          "will reply here by {due}. – {brand}",
    "zh": "{name}您好，非常抱歉，我们正在处理。{department}团队已接手您的问题（编号 {case}），"
          "将在 {due} 前在这里回复您。——{brand}",
    "th": "สวัสดีค่ะคุณ{name} ขออภัยค่ะ ทีม{department}กำลังดูแลเรื่องของคุณ (เลขที่ {case}) และจะตอบกลับที่นี่ภายใน {due} "
          "– {brand}",
}

# The private message that goes with the public acknowledgement of an angry or sensitive post.
HANDOFF: dict[str, str] = {
    "en": "Hi {name}, this is {brand} customer care, following up on your post in private. So we can sort out "
          "your case ({case}), please confirm a few details on our secure page: {link} (it works once, for "
          "24 hours). – {brand}",
    "zh": "{name}您好，这里是{brand}客服，就您发布的内容私信跟进。为处理您的问题（编号 {case}），"
          "请在安全页面确认信息：{link}（仅可使用一次，24小时内有效）。——{brand}",
    "th": "สวัสดีค่ะคุณ{name} ทีมดูแลลูกค้า {brand} ติดต่อมาเป็นการส่วนตัวเรื่องโพสต์ของคุณ เพื่อดูแลเรื่อง (เลขที่ {case}) "
          "กรุณายืนยันข้อมูลในหน้าที่ปลอดภัย: {link} (ใช้ได้ครั้งเดียว ภายใน 24 ชั่วโมง) – {brand}",
}
# …when no verification page is configured: the team continues in private.
HANDOFF_NO_LINK: dict[str, str] = {
    "en": "Hi {name}, this is {brand} customer care, following up on your post in private. Our {department} "
          "team has your case ({case}) and will continue with you here. – {brand}",
    "zh": "{name}您好，这里是{brand}客服，就您发布的内容私信跟进。{department}团队已接手您的问题（编号 {case}），"
          "会在这里继续为您处理。——{brand}",
    "th": "สวัสดีค่ะคุณ{name} ทีมดูแลลูกค้า {brand} ติดต่อมาเป็นการส่วนตัวเรื่องโพสต์ของคุณ ทีม{department}ดูแลเรื่องของคุณ "
          "(เลขที่ {case}) และจะคุยต่อกับคุณที่นี่ค่ะ – {brand}",
}
# …and a private conversation handled privately gets the link in its own reply.
LINK_IN_PLACE: dict[str, str] = {
    "en": " To share details safely, use our secure page: {link}",
    "zh": "如需提供个人信息，请使用安全页面：{link}",
    "th": " หากต้องการแจ้งข้อมูลส่วนตัว กรุณาใช้หน้าที่ปลอดภัย: {link}",
}

# The check-back after a case is resolved: one digit back is a rating (the router reads it).
FOLLOW_UP: dict[str, str] = {
    "en": "We hope this is sorted now. How did we do? Reply with one number from 1 (poor) to 5 (excellent). "
          "– {brand}",
    "zh": "希望您的问题已经解决。请为这次服务打分：直接回复 1（很差）到 5（很好）中的一个数字。——{brand}",
    "th": "หวังว่าเรื่องของคุณได้รับการแก้ไขแล้วนะคะ ช่วยให้คะแนนบริการครั้งนี้ ตอบกลับด้วยตัวเลข 1 (แย่) ถึง 5 (ดีมาก) "
          "– {brand}",
}

DEPARTMENTS: dict[str, dict[str, str]] = {
    "en": {"billing": "billing", "logistics": "delivery", "product-quality": "product quality",
           "customer-service": "customer service", "facilities": "facilities",
           "technical-support": "technical support", "sales": "sales", "care-escalations": "customer care",
           "marketing": "community", "product": "product", "moderation": "moderation"},
    "zh": {"billing": "账务", "logistics": "物流配送", "product-quality": "产品质量",
           "customer-service": "客户服务", "facilities": "设施服务", "technical-support": "技术支持",
           "sales": "销售", "care-escalations": "客户关怀", "marketing": "社区", "product": "产品",
           "moderation": "内容审核"},
    "th": {"billing": "การเงิน", "logistics": "การจัดส่ง", "product-quality": "คุณภาพสินค้า",
           "customer-service": "บริการลูกค้า", "facilities": "สิ่งอำนวยความสะดวก",
           "technical-support": "ฝ่ายเทคนิค", "sales": "ฝ่ายขาย", "care-escalations": "ดูแลลูกค้า",
           "marketing": "ชุมชน", "product": "ผลิตภัณฑ์", "moderation": "ตรวจสอบเนื้อหา"},
}

# (mode, category or None for any) → language → template
TEMPLATES: dict[tuple[HandlingMode, Category | None], dict[str, str]] = {
    (HandlingMode.ANSWER, None): {
        "en": "Hi {name}, thanks for asking! Our {department} team has your question and will answer "
              "right here shortly. Anytime help: {hotline}. – {brand}",
        "zh": "{name}您好，感谢您的提问！{department}团队已收到，会尽快在这里为您解答。"
              "随时可拨打热线 {hotline}。——{brand}",
        "th": "สวัสดีค่ะคุณ{name} ขอบคุณที่สอบถามนะคะ ทีม{department}ได้รับคำถามแล้ว "
              "และจะตอบกลับที่นี่โดยเร็ว ติดต่อได้ตลอดที่ {hotline} – {brand}",
    },
    (HandlingMode.HOLDING, None): {
        "en": "Hi {name}, we're sorry about this and we're on it. Our {department} team is handling "
              "your case ({case}) and will come back to you by {due}. Hotline: {hotline}. – {brand}",
        "zh": "{name}您好，非常抱歉给您带来不便，我们正在处理。{department}部门已接手您的问题"
              "（编号 {case}），将在 {due} 前回复您。热线：{hotline}。——{brand}",
        "th": "สวัสดีค่ะคุณ{name} ขออภัยในความไม่สะดวกค่ะ ฝ่าย{department}กำลังดูแลเรื่องของคุณ "
              "(เลขที่ {case}) และจะติดต่อกลับภายใน {due} สายด่วน {hotline} – {brand}",
    },
    (HandlingMode.PRIVATE, None): {
        "en": "Hi {name}, we want to sort this out with you personally. We've sent you a private "
              "message: please continue there so your details stay private. – {brand}",
        "zh": "{name}您好，我们希望能一对一为您处理。已给您发送私信，请在私信中继续沟通，"
              "以保护您的个人信息。——{brand}",
        "th": "สวัสดีค่ะคุณ{name} เราอยากช่วยดูแลเรื่องนี้เป็นการส่วนตัว ได้ส่งข้อความส่วนตัวถึงคุณแล้ว "
              "กรุณาคุยต่อทางข้อความเพื่อความเป็นส่วนตัวของข้อมูลคุณค่ะ – {brand}",
    },
    # a sales lead is welcomed, never apologised to
    (HandlingMode.HOLDING, Category.SALES_LEAD): {
        "en": "Hi {name}, thanks for your interest! Our {department} team will get in touch by {due} with "
              "the details. – {brand}",
        "zh": "{name}您好，感谢您的关注！{department}团队将在 {due} 前与您联系，为您介绍详情。——{brand}",
        "th": "สวัสดีค่ะคุณ{name} ขอบคุณที่สนใจนะคะ ทีม{department}จะติดต่อกลับภายใน {due} พร้อมรายละเอียดค่ะ – {brand}",
    },
    (HandlingMode.ANSWER, Category.SALES_LEAD): {
        "en": "Hi {name}, thanks for your interest! Our {department} team will reply here shortly. – {brand}",
        "zh": "{name}您好，感谢您的关注！{department}团队会尽快在这里回复您。——{brand}",
        "th": "สวัสดีค่ะคุณ{name} ขอบคุณที่สนใจนะคะ ทีม{department}จะตอบกลับที่นี่โดยเร็วค่ะ – {brand}",
    },
    (HandlingMode.ACKNOWLEDGE, Category.PRAISE): {
        "en": "Thank you so much, {name}! Made our day. We'll pass your kind words to the team. – {brand}",
        "zh": "谢谢{name}的肯定！我们会把您的鼓励转达给团队。——{brand}",
        "th": "ขอบคุณมากค่ะคุณ{name} เราจะส่งต่อคำชมนี้ให้ทีมงานนะคะ – {brand}",
    },
    (HandlingMode.ACKNOWLEDGE, Category.SUGGESTION): {
        "en": "Great idea, {name}, thank you! We've shared it with our {department} team. – {brand}",
        "zh": "{name}，谢谢您的建议！我们已转交{department}团队认真考虑。——{brand}",
        "th": "ขอบคุณสำหรับคำแนะนำค่ะคุณ{name} เราส่งต่อให้ทีม{department}แล้ว – {brand}",
    },
    (HandlingMode.ACKNOWLEDGE, None): {
        "en": "Thanks for reaching out, {name}! If there's anything we can help with, we're here. – {brand}",
        "zh": "{name}，感谢您的关注！如需任何帮助，随时找我们。——{brand}",
        "th": "ขอบคุณที่ติดต่อมานะคะคุณ{name} หากต้องการความช่วยเหลือ เรายินดีค่ะ – {brand}",
    },
}


@dataclass(frozen=True)
class RenderedReply:
    text: str
    language: str
    script: str | None
    template_id: str


def in_script(text: str, script: str | None, region: str | None = None, keep: Sequence[str] = ()) -> str:
    """A person's text in the customer's Chinese script and region's standard (an agent may type
    either script); what `keep` names (a quoted name, an order reference) stays as written."""
    if script == "Hant":
        return to_traditional(text, region, keep=keep)
    if script == "Hans":
        return to_simplified(text, keep=keep)
    return text


def render_follow_up(language: str, script: str | None, brand: str) -> RenderedReply:
    """The rating check-back in the customer's language and script (English for other languages)."""
    lang = language if language in FOLLOW_UP else "en"
    text = FOLLOW_UP[lang].format(brand=brand)
    out_script = None
    if lang == "zh":
        out_script = script or "Hans"
        text = in_script(text, out_script)
    return RenderedReply(text, lang, out_script, f"follow_up.rating.{lang}")


def template_language(c: Classification) -> str:
    return c.language if c.language in ("en", "zh", "th") else "en"


def render_reply(mention: Mention, c: Classification, mode: HandlingMode, department: str, case_ref: str,
                 due: datetime, brand: str, hotline: str, time_zone: str = "UTC", market: str | None = None,
                 link: str | None = None, handoff: bool = False) -> RenderedReply:
    """The reply for a routed mention, in the customer's language and script (Traditional in their
    region's standard, their own name as they wrote it) with the due time in the brand's time zone.

    `handoff` renders the private message that goes with a public acknowledgement; `link` is the
    secure verification link for private handling. Never cut to fit: the reply guard refuses a
    reply too long for the channel.
    """
    lang = template_language(c)
    private_post = mention.visibility is Visibility.PRIVATE
    if handoff:
        template = HANDOFF[lang] if link else HANDOFF_NO_LINK[lang]
        key_id = f"{mode.value}/handoff{'' if link else '-no-link'}/{lang}"
    elif mode is HandlingMode.PRIVATE and private_post:
        template = PRIVATE_IN_PLACE[lang] + (LINK_IN_PLACE[lang] if link else "")
        key_id = f"{mode.value}/in-place{'+link' if link else ''}/{lang}"
    else:
        key = (mode, c.category) if (mode, c.category) in TEMPLATES else (mode, None)
        template = TEMPLATES[key][lang]
        key_id = f"{mode.value}/{key[1].value if key[1] else 'any'}/{lang}"
    name = mention.author.name or mention.author.handle or ("there" if lang == "en" else "")
    dept = DEPARTMENTS[lang].get(department, department)
    text = template.format(name=name, department=dept, case=case_ref, due=local_time(due, lang, time_zone),
                           hotline=hotline, brand=brand, link=link or "")
    script = None
    if lang == "zh":
        script = c.script or "Hans"
        if script == "Hant":
            text = to_traditional(text, region_of(mention.text, market=market), keep=[name, *([link] if link else [])])
    return RenderedReply(text, lang, script, key_id)


_THAI_MONTHS = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")


def local_time(at: datetime, language: str, time_zone: str) -> str:
    """A due time as the customer reads it: in the brand's time zone, in their language's format."""
    local = at.astimezone(ZoneInfo(time_zone))
    offset = local.utcoffset()
    hours = int(offset.total_seconds() // 3600) if offset is not None else 0
    zone = "UTC" if hours == 0 else f"UTC{hours:+d}"
    if language == "zh":
        return f"{local.month}月{local.day}日 {local:%H:%M}"
    if language == "th":
        return f"{local.day} {_THAI_MONTHS[local.month - 1]} {local:%H:%M} น."
    return f"{local:%H:%M} ({zone}) on {local.day} {local:%b}"
