"""Builds mentions.jsonl, the demo sample: posts the Heed team wrote for a made-up brand, Lumo
(appliances, an online shop and hotels). Deterministic: re-running gives the same file.

    python deploy/samples/build_sample.py > deploy/samples/mentions.jsonl
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

PRODUCTS = {
    "en": ["AirFryer X2", "robot vacuum R5", "Lumo kettle", "smart lamp S1", "blender Pro"],
    "zh": ["空气炸锅X2", "扫地机器人R5", "电水壶", "智能台灯S1", "破壁机Pro"],
    "zh-Hant": ["氣炸鍋X2", "掃地機器人R5", "電熱水壺", "智慧檯燈S1", "調理機Pro"],
    "th": ["หม้อทอดไร้น้ำมัน X2", "หุ่นยนต์ดูดฝุ่น R5", "กาต้มน้ำ", "โคมไฟอัจฉริยะ S1", "เครื่องปั่น Pro"],
}

# (category, text with {p} for a product): written by the team
POSTS: dict[str, list[tuple[str, str]]] = {
    "en": [
        ("complaint", "My {p} stopped working after two weeks. Really disappointed with the quality."),
        ("complaint", "The {p} arrived with a cracked lid. Quality control, anyone?"),
        ("complaint", "Ordered the {p} ten days ago and it still hasn't been delivered. Tracking says nothing."),
        ("complaint", "Your courier left my {p} in the rain and the box was soaked. Delivery was a mess."),
        ("complaint", "Called support about my {p} and the agent was rude and hung up on me."),
        ("complaint", "I was charged twice for the {p}. Please refund the extra payment."),
        ("complaint", "Can't figure out how to pair the {p} with the app, the manual is useless."),
        ("complaint", "Stayed at Lumo Hotel last night, the bathroom was dirty and the room smelled of smoke."),
        ("question", "How do I reset the {p} to factory settings?"),
        ("question", "What is the warranty period for the {p}?"),
        ("question", "Is the {p} available in white? Can't find it on the site."),
        ("question", "When will the {p} be back in stock?"),
        ("question", "Do you ship the {p} to Singapore?"),
        ("question", "Where can I find the user manual for the {p}?"),
        ("praise", "Love my new {p}, best purchase this year!"),
        ("praise", "Huge thanks to your support team, they fixed my {p} issue in minutes. Excellent service."),
        ("praise", "The {p} is amazing, quiet and fast. Highly recommend."),
        ("sales_lead", "We're looking to buy 50 units of the {p} for our office. Who can send a quote?"),
        ("sales_lead", "Is there wholesale pricing for the {p}? We run a chain of cafes."),
        ("suggestion", "Suggest adding a timer to the {p} app, it would be nice to schedule it."),
        ("suggestion", "Feature request: please add a quieter night mode to the {p}."),
        ("spam", "Earn $500 a day from home!!! Click here bit.ly/fast-cash-now"),
        ("spam", "Free crypto airdrop for Lumo fans, DM me for the link"),
        ("other", "Just saw the Lumo ad on the subway, nice colours."),
    ],
    "zh": [
        ("complaint", "买的{p}用了两周就坏了，质量太差了，很失望"),
        ("complaint", "{p}收到的时候外壳有破损，你们发货前不检查吗？"),
        ("complaint", "订单下了五天了还没发货，{p}到底什么时候能到？物流信息一直不更新"),
        ("complaint", "快递员把{p}直接扔在门口，包裹都压坏了"),
        ("complaint", "客服态度太差了，问{p}的问题爱答不理，还挂我电话"),
        ("complaint", "{p}的钱被扣了两次，请尽快退款"),
        ("complaint", "{p}的说明书看不懂，设置了半天连不上APP"),
        ("complaint", "住了Lumo酒店，房间不干净，床单上有头发，卫生太差"),
        ("question", "请问{p}怎么恢复出厂设置？"),
        ("question", "{p}保修期是多久？"),
        ("question", "请问{p}有白色的吗？"),
        ("question", "{p}什么时候补货？"),
        ("question", "门店周末几点开门？想去看看{p}"),
        ("question", "{p}可以开增值税发票吗？"),
        ("praise", "{p}太好用了，强烈推荐！"),
        ("praise", "感谢客服小姐姐，{p}的问题十分钟就解决了，服务很贴心"),
        ("praise", "{p}颜值高还安静，很满意"),
        ("sales_lead", "我们公司想批量采购100台{p}，能给个报价吗？"),
        ("sales_lead", "想做{p}的代理，怎么合作？"),
        ("suggestion", "建议{p}的APP增加定时功能"),
        ("suggestion", "希望{p}能出一个小尺寸的版本"),
        ("spam", "兼职日赚500，加微信了解，点击链接免费领取"),
        ("spam", "刷单返现，动动手指就能赚钱"),
        ("other", "今天在地铁上看到Lumo的广告了"),
    ],
    "zh-Hant": [
        ("complaint", "買的{p}用兩個禮拜就壞了，品質真的很差"),
        ("complaint", "{p}收到時外殼有裂痕，出貨前都沒檢查嗎？"),
        ("complaint", "訂單下了一週還沒出貨，{p}到底什麼時候會到？"),
        ("complaint", "物流把{p}的包裹壓壞了，箱子都爛了"),
        ("complaint", "客服態度很差，問{p}的問題都不理人"),
        ("complaint", "{p}被重複扣款兩次，請盡快退款"),
        ("complaint", "{p}的說明書看不懂，連不上APP，怎麼設定都不行"),
        ("complaint", "住Lumo飯店，房間很髒，浴室有異味，衛生太差了"),
        ("question", "請問{p}要怎麼重置？"),
        ("question", "{p}的保固是多久？"),
        ("question", "請問{p}有白色的嗎？"),
        ("question", "門市週末幾點開門？想去看看{p}"),
        ("praise", "{p}超好用，大推！"),
        ("praise", "謝謝客服很有耐心幫我處理{p}的問題，很滿意"),
        ("sales_lead", "我們公司想大量採購{p}，可以報價嗎？"),
        ("suggestion", "建議{p}的APP可以加上定時功能"),
        ("spam", "在家兼職日賺五千，點擊連結免費領取"),
        ("other", "今天在捷運上看到Lumo的廣告"),
    ],
    "th": [
        ("complaint", "{p} ใช้ได้สองอาทิตย์ก็เสียแล้ว ผิดหวังมากค่ะ"),
        ("complaint", "สั่ง{p}ไปหนึ่งอาทิตย์แล้วยังไม่ได้รับของเลย"),
        ("complaint", "พนักงานบริการไม่ดีเลย ถามเรื่อง{p}ก็ไม่สนใจ"),
        ("complaint", "โดนเรียกเก็บเงินค่า{p}สองครั้ง ขอคืนเงินด้วยค่ะ"),
        ("complaint", "ห้องที่โรงแรม Lumo สกปรก ห้องน้ำมีกลิ่น"),
        ("question", "{p} ตั้งค่าใหม่ยังไงคะ"),
        ("question", "{p} รับประกันกี่ปีคะ"),
        ("question", "ร้านเปิดกี่โมงคะ อยากไปดู{p}"),
        ("question", "{p} มีสีขาวไหมคะ"),
        ("praise", "{p} ดีมาก ชอบมากค่ะ ขอบคุณ"),
        ("sales_lead", "บริษัทสนใจสั่ง{p}จำนวนมาก ขอใบเสนอราคาหน่อยค่ะ"),
        ("suggestion", "อยากให้{p}มีโหมดเงียบตอนกลางคืน"),
        ("spam", "รายได้เสริมวันละพัน กดลิงก์เลย"),
    ],
}

CHANNELS = {
    "en": ["x", "facebook", "instagram", "linkedin", "x", "facebook"],
    "zh": ["weibo", "weibo", "wechat", "weibo"],
    "zh-Hant": ["facebook", "instagram", "weibo", "x"],
    "th": ["facebook", "x", "instagram"],
}
SHARE = {"en": 120, "zh": 100, "zh-Hant": 60, "th": 45}  # lines per language before threads

NAMES = {
    "en": ["Amy Carter", "Ben Ortiz", "Chloe Park", "Dev Patel", "Erin Walsh", "Farid Khan", "Grace Liu"],
    "zh": ["小王", "李梅", "张伟", "陈晨", "刘洋", "赵敏", "周杰"],
    "zh-Hant": ["林家豪", "黃美玲", "陳志明", "吳怡君", "蔡宗翰"],
    "th": ["สมชาย", "สุดา", "วิภา", "ธนพล", "กมล"],
}

# extra posts: angry customers, PII, executives, edge cases
EXTRA: list[tuple[str, str, str, dict[str, object]]] = [
    ("en", "x", "THIRD TIME my AirFryer X2 broke. If this isn't fixed today I'm going to the media and my lawyer!!!",
     {"followers": 48_000, "verified": True}),
    ("zh", "weibo", "第三次投诉了！！扫地机器人R5又坏了，再不解决我就打12315，找媒体曝光你们！",
     {"followers": 120_000}),
    ("zh-Hant", "facebook", "氣炸鍋X2用到一半冒煙起火，差點燒到廚房，你們要負責！我要找律師", {}),
    ("th", "facebook", "กาต้มน้ำระเบิดตอนต้มน้ำ ลูกเกือบบาดเจ็บ จะแจ้ง สคบ.", {}),
    ("en", "facebook", "Worst service ever. Nobody answers, nobody cares. Done with Lumo.", {}),
    ("en", "x", "Please call me about my refund, my number is +1 415 555 0142", {}),
    ("en", "facebook", "Order #LM2026-88412 still not here, email me at jamie.fake@example.com", {}),
    ("zh", "weibo", "订单号：LM20261120778 还没发货，我手机13800001234，麻烦联系我", {}),
    ("zh-Hant", "instagram", "訂單編號 LM20261119031 還沒收到，我的電話是0912-345-678", {}),
    ("th", "facebook", "คำสั่งซื้อ LM20261118456 ยังไม่ได้รับ ติดต่อ 081-234-5678 ค่ะ", {}),
    ("zh", "wechat", "请帮我查一下，我的邮箱 wang.fake@example.cn 一直没收到发票", {}),
    ("en", "linkedin", "Interesting talk by Ada Chen on sustainable appliances today.", {"matched": ["Ada Chen"]}),
    ("zh", "weibo", "陈雅今天在发布会上说Lumo明年要降价，真的假的？", {"matched": ["陈雅"]}),
    ("en", "x", "Ada Chen should fix Lumo's delivery mess before giving keynotes.", {"matched": ["Ada Chen"]}),
    ("en", "instagram", "😍😍🔥", {}),
    ("en", "x", "?", {}),
    ("en", "whatsapp", "Hi, my blender Pro lid doesn't lock anymore, can I get a replacement part?", {}),
    ("zh", "whatsapp", "你好，电水壶的底座不通电了，怎么保修？", {}),
    ("th", "whatsapp", "สวัสดีค่ะ หม้อทอดไร้น้ำมัน X2 ใช้ไม่ได้ ต้องส่งซ่อมที่ไหนคะ", {}),
    ("zh", "weibo", "今天用Lumo空气炸锅做了鸡翅，效果 amazing，就是清洗有点麻烦，建议出个不粘涂层 upgrade 版", {}),
    ("en", "facebook", (
        "Long post, sorry. I bought the robot vacuum R5 in September from your online shop. The first unit "
        "stopped charging after a week, so I sent it back as your support asked. The replacement took three "
        "weeks to arrive and when it came the side brush was missing. I called again and was told a brush "
        "would be mailed within five days; that was a month ago. Meanwhile the app keeps logging me out and "
        "the map resets every night. I have spent more time on the phone with Lumo than cleaning with this "
        "thing. I would like either a working unit with all its parts or a full refund, and honestly an "
        "apology for the runaround. I have been a loyal customer for years (kettle, two lamps, the blender) "
        "and this experience has made me reconsider everything."), {}),
]

THREADS = [
    ("zh", "weibo", ["买的空气炸锅X2一直有异味，怎么处理？", "按你们说的空烧了两次还是有味道",
                     "今天又试了，还是不行，能换货吗？", "好的，已经寄回去了，单号发私信了"]),
    ("en", "x", ["My robot vacuum R5 keeps disconnecting from wifi", "Tried the reset, still dropping every hour",
                 "Any update? It's been two days", "Thanks, the firmware update fixed it!"]),
    ("zh-Hant", "facebook", ["請問智慧檯燈S1可以調色溫嗎？", "那要怎麼在APP裡設定？", "找到了，謝謝！"]),
    ("th", "facebook", ["สั่งเครื่องปั่น Pro ไปยังไม่ได้รับค่ะ", "ผ่านมาสามวันแล้วยังไม่มีใครตอบเลย",
                        "ได้รับของแล้วค่ะ ขอบคุณ"]),
    ("en", "facebook", ["Is the Lumo Hotel pool open in December?", "And is breakfast included with the deal?"]),
]

LANG_OF_CHANNEL_PREFIX = {"weibo": "wb", "wechat": "wx", "x": "tw", "facebook": "fb", "instagram": "ig",
                          "linkedin": "li", "whatsapp": "wa"}


def main() -> None:
    rng = random.Random(2026)
    start = datetime(2026, 11, 20, 0, 30, tzinfo=UTC)
    lines: list[tuple[datetime, dict[str, object]]] = []
    counter = 0

    def add(lang: str, channel: str, text: str, author_idx: int, extra: dict[str, object] | None = None,
            in_reply_to: str | None = None) -> str:
        nonlocal counter
        counter += 1
        native = f"{LANG_OF_CHANNEL_PREFIX[channel]}-{4_950_000 + counter * 37}"
        names = NAMES[lang]
        extra = dict(extra or {})
        private = channel == "whatsapp" or (channel == "wechat" and rng.random() < 0.6)
        tz = {"zh": 8, "zh-Hant": 8, "th": 7, "en": -5}[lang]
        created = start + timedelta(minutes=counter * 7 + rng.randint(0, 5))
        offset = timedelta(hours=tz)
        line: dict[str, object] = {
            "channel": channel,
            "native_id": native,
            "author": {"id": f"{channel}-u{1000 + (author_idx % 97)}", "handle": f"user{author_idx % 97}",
                       "name": names[author_idx % len(names)],
                       "followers": int(extra.pop("followers", rng.choice([12, 85, 230, 540, 1800, 3200]))),
                       "verified": bool(extra.pop("verified", False))},
            "text": text,
            "created_at": (created + offset).replace(tzinfo=None).isoformat() + (
                f"+{tz:02d}:00" if tz >= 0 else f"-{-tz:02d}:00"),
            "in_reply_to": in_reply_to,
            "visibility": "private" if private else "public",
            "kind": "direct_message" if private else ("reply" if in_reply_to else "post"),
            "account": None if extra.get("matched") else "@LumoOfficial",
            "lang_hint": None,
        }
        if extra.get("matched"):
            line["matched"] = extra["matched"]
        lines.append((created, line))
        return native

    for lang, total in SHARE.items():
        posts = POSTS[lang]
        for i in range(total):
            _category, template = posts[i % len(posts)]
            product = PRODUCTS[lang][(i // len(posts)) % len(PRODUCTS[lang])]
            channel = CHANNELS[lang][i % len(CHANNELS[lang])]
            add(lang, channel, template.format(p=product), i * 7 + len(lang))
    for j, (lang, channel, text, extra) in enumerate(EXTRA):
        add(lang, channel, text, 500 + j, extra)
    for t, (lang, channel, texts) in enumerate(THREADS):
        parent = None
        for k, text in enumerate(texts):
            parent = add(lang, channel, text, 800 + t, in_reply_to=parent) if k else add(lang, channel, text, 800 + t)
    lines.sort(key=lambda x: x[0])
    for _, line in lines:
        print(json.dumps(line, ensure_ascii=False))


if __name__ == "__main__":
    main()
