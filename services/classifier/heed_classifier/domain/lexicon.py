"""Cue words the first classifier weighs, per label, in English, Chinese (both scripts) and Thai.

Chinese cues are written in Simplified; text is folded to Simplified before matching, so a
Traditional post matches the same cues. Matching is by substring on case-folded text.
"""

from __future__ import annotations

from heed.contracts.events import Category, IssueType

# every category but `other`, which is what a post without any of these cue words is
CATEGORY_CUES: dict[Category, tuple[str, ...]] = {
    Category.COMPLAINT: (
        "broken", "broke", "not working", "doesn't work", "does not work", "stopped working", "never arrived",
        "still waiting", "still no", "late", "delayed", "refund", "charged twice", "overcharged", "rude",
        "terrible", "worst", "awful", "disappointed", "unacceptable", "complaint", "damaged", "missing",
        "dirty", "faulty", "defective", "scam", "ridiculous", "useless", "fix this", "cancelled", "cracked",
        "hasn't been", "hasn't arrived", "soaked", "a mess", "smelled", "worst", "nobody answers", "keeps",
        "坏了", "故障", "不能用", "没到", "还没", "延迟", "退款", "扣了两次", "多扣", "态度差", "态度太差", "垃圾",
        "失望", "投诉", "差评", "破损", "缺少", "脏", "质量差", "骗", "太慢", "没人", "不回复", "坑", "气死",
        "退货", "漏水", "噪音", "看不懂", "连不上", "不干净", "太差", "裂痕", "不检查", "不更新", "异味",
        "冒烟", "压坏", "不理",
        "เสีย", "ช้า", "ไม่ได้รับ", "ผิดหวัง", "แย่", "คืนเงิน", "ห่วย", "ไม่พอใจ", "พัง", "ร้องเรียน",
        "ไม่ดี", "ไม่สนใจ", "สกปรก", "มีกลิ่น", "ใช้ไม่ได้", "ไม่มีใครตอบ",
    ),
    Category.QUESTION: (
        "?", "how do", "how can", "how to", "what is", "when will", "where can", "where is", "is it",
        "do you", "does it", "can i", "could you tell", "any idea", "wondering",
        "？", "请问", "怎么", "如何", "什么时候", "哪里", "多久", "能不能", "可以吗", "是否", "吗", "几点", "多少",
        "ไหม", "มั้ย", "หรือเปล่า", "ยังไง", "อย่างไร", "อะไร", "เท่าไหร่", "ที่ไหน", "เมื่อไหร่", "กี่โมง",
        "ได้ไหม", "หรือไม่", "กี่ปี", "กี่วัน", "คะ",
    ),
    Category.PRAISE: (
        "love", "great", "amazing", "awesome", "excellent", "thank you", "thanks", "best", "perfect",
        "fantastic", "impressed", "recommend", "well done", "kudos",
        "喜欢", "好用", "很棒", "太棒", "赞", "感谢", "谢谢", "满意", "推荐", "完美", "给力", "好评", "贴心",
        "ชอบ", "ดีมาก", "ขอบคุณ", "ประทับใจ", "เยี่ยม", "สุดยอด", "แนะนำ",
    ),
    Category.SALES_LEAD: (
        "bulk", "wholesale", "quote", "pricing for", "units", "corporate order", "distributor", "reseller",
        "partnership", "for our office", "for our company", "business account",
        "批量", "采购", "报价", "批发", "代理", "经销", "企业购", "团购", "合作",
        "สั่งจำนวนมาก", "ขายส่ง", "ใบเสนอราคา", "ตัวแทนจำหน่าย",
    ),
    Category.SUGGESTION: (
        "suggest", "would be nice", "please add", "feature request", "it would be great if", "wish you",
        "should add", "idea:",
        "建议", "希望", "能不能加", "要是能", "最好能",
        "แนะนำให้", "อยากให้", "น่าจะมี",
    ),
    Category.SPAM: (
        "crypto", "bitcoin", "airdrop", "giveaway", "click here", "free money", "earn $", "dm me for",
        "follow for follow", "promo code", "bit.ly", "casino", "loan offer",
        "加微信", "兼职", "日赚", "刷单", "代购", "贷款", "博彩", "免费领取", "点击链接",
        "รายได้เสริม", "คาสิโน", "กดลิงก์", "แจกฟรี",
    ),
}

ISSUE_CUES: dict[IssueType, tuple[str, ...]] = {
    IssueType.BILLING: (
        "charged", "charge", "invoice", "bill", "payment", "refund", "overcharged", "price",
        "扣款", "扣了", "收费", "发票", "付款", "退款", "账单", "多扣", "价格",
        "เงิน", "ชำระ", "ใบแจ้งหนี้", "คืนเงิน", "เรียกเก็บ",
    ),
    IssueType.SHIPPING_DELIVERY: (
        "delivery", "deliver", "shipping", "shipped", "package", "parcel", "courier",
        "tracking", "arrive", "order hasn't", "lost luggage", "delayed",
        "快递", "物流", "发货", "配送", "送货", "包裹", "没到", "到货", "签收", "外卖",
        "จัดส่ง", "พัสดุ", "ส่งของ", "ยังไม่ได้รับ", "ขนส่ง",
    ),
    IssueType.SERVICE_ATTITUDE: (
        "rude", "staff", "agent", "customer service", "attitude", "ignored", "hung up",
        "no one answer", "nobody", "support team",
        "态度", "客服", "服务员", "不理", "挂电话", "没人", "敷衍", "店员",
        "พนักงาน", "บริการ", "มารยาท", "ไม่สนใจ",
    ),
    IssueType.PRODUCT_QUALITY: (
        "broken", "broke", "defective", "faulty", "quality", "stopped working", "cracked",
        "leak", "noise", "battery", "overheat", "damaged",
        "质量", "坏了", "故障", "破损", "漏水", "噪音", "电池", "发热", "做工", "瑕疵",
        "คุณภาพ", "เสีย", "พัง", "แตก", "รั่ว",
    ),
    IssueType.USAGE_DIFFICULTY: (
        "how do i", "how to", "can't figure", "setup", "set up", "reset", "install",
        "app", "login", "log in", "password", "pair", "connect", "manual",
        "怎么用", "如何使用", "设置", "安装", "重置", "连接", "登录", "密码", "说明书", "不会用",
        "ใช้ยังไง", "ตั้งค่า", "ติดตั้ง", "เชื่อมต่อ", "รหัสผ่าน",
    ),
    IssueType.FACILITIES_HYGIENE: (
        "dirty", "hygiene", "smell", "cockroach", "bathroom", "toilet", "room was",
        "hotel room", "mold", "bed bugs", "unclean",
        "脏", "卫生", "异味", "蟑螂", "厕所", "房间", "霉", "床单", "不干净",
        "สกปรก", "ห้องน้ำ", "กลิ่น", "แมลงสาบ",
    ),
}

POSITIVE = CATEGORY_CUES[Category.PRAISE] + ("happy", "good", "nice", "好", "不错", "开心", "ดี", "สวย")
NEGATIVE = CATEGORY_CUES[Category.COMPLAINT] + ("angry", "hate", "bad", "差", "烦", "生气", "โกรธ", "เกลียด")

CRITICAL_CUES = (
    "lawyer", "sue ", "suing", "lawsuit", "legal action", "regulator", "consumer protection", "bbb",
    "going to the media", "go to the press", "journalist", "fire", "caught fire", "explode", "exploded",
    "injur", "burned", "poison", "hospital", "allergic reaction", "unsafe", "dangerous",
    "律师", "起诉", "12315", "消协", "消费者协会", "工商", "曝光", "媒体", "记者", "起火", "爆炸", "受伤",
    "烫伤", "中毒", "过敏", "医院", "危险", "安全隐患",
    "ทนาย", "ฟ้อง", "สคบ", "นักข่าว", "ไฟไหม้", "ระเบิด", "บาดเจ็บ", "อาหารเป็นพิษ", "โรงพยาบาล",
)
REPEAT_CUES = ("again", "third time", "second time", "3rd time", "still not", "still no", "keep happening",
               "又", "再次", "第三次", "第二次", "还是没", "一直", "屡次", "อีกแล้ว", "ครั้งที่สาม", "ซ้ำ")
COMPLEX_CUES = ("refund", "charged twice", "overcharged", "dispute", "compensation", "warranty claim",
                "damaged", "lawyer", "contract", "invoice", "cancel my", "replacement",
                "退款", "扣了两次", "多扣", "赔偿", "索赔", "保修", "换货", "合同", "发票", "投诉",
                "คืนเงิน", "ชดเชย", "เคลม", "เปลี่ยนสินค้า")
