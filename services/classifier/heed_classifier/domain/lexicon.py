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
        # written Cantonese (folded to Simplified characters), and bad food
        "难吃", "坏咗", "难食", "嬲", "唔理", "好差", "冇晒", "收多钱", "唔得",
        "เสีย", "ช้า", "ไม่ได้รับ", "ผิดหวัง", "แย่", "คืนเงิน", "ห่วย", "ไม่พอใจ", "พัง", "ร้องเรียน",
        "ไม่ดี", "ไม่สนใจ", "สกปรก", "มีกลิ่น", "ใช้ไม่ได้", "ไม่มีใครตอบ",
        # the languages without training data (fr, es, de, ms, id, vi, ja, ko, ar): their cue words
        # decide (see Classifier._classify); none is also an English word ("sale" is not here)
        "jamais arrivé", "jamais arrivée", "personne ne répond", "était sale", "très sale",
        "ne fonctionnait pas", "ne fonctionne pas", "cassé", "cassée", "inacceptable", "déçu", "déçue",
        "no había", "no funciona", "roto", "rota", "nadie contesta", "nadie responde", "sucio", "sucia",
        "reembolso", "pésimo", "decepcionado", "no llegó", "schmutzig", "unfreundlich", "kaputt",
        "funktioniert nicht", "enttäuscht", "wo bleibt", "immer noch nicht", "noch nicht angekommen",
        "belum sampai", "belum datang", "rosak", "tiada sesiapa", "kotor", "teruk", "kecewa", "buruk", "rusak",
        "vẫn chưa", "chưa nhận được", "bẩn", "hỏng", "thất vọng", "không ai trả lời",
        "届きません", "届かない", "キャンセルされ", "連絡もありません", "汚い", "壊れ", "最悪", "返金", "がっかり",
        "더럽", "작동하지 않", "도착하지 않", "고장", "최악", "환불", "실망",
        "لم يصل", "سيء", "متسخ", "مكسور", "لا أحد يرد",
    ),
    Category.QUESTION: (
        "?", "how do", "how can", "how to", "what is", "when will", "where can", "where is", "is it",
        "do you", "does it", "can i", "could you tell", "any idea", "wondering",
        "？", "请问", "怎么", "如何", "什么时候", "哪里", "多久", "能不能", "可以吗", "是否", "吗", "几点", "多少",
        "ไหม", "มั้ย", "หรือเปล่า", "ยังไง", "อย่างไร", "อะไร", "เท่าไหร่", "ที่ไหน", "เมื่อไหร่", "กี่โมง",
        "ได้ไหม", "หรือไม่", "กี่ปี", "กี่วัน", "คะ",
        "¿", "est-ce que", "apakah", "bolehkah", "ますか", "까요", "나요", "هل",
        # requests ("I would like…"), which Heed answers as questions
        "je voudrais", "quisiera", "ich möchte", "saya mahu", "saya ingin", "tôi muốn", "أريد",
    ),
    Category.PRAISE: (
        "love", "great", "amazing", "awesome", "excellent", "thank you", "thanks", "best", "perfect",
        "fantastic", "impressed", "recommend", "well done", "kudos",
        "喜欢", "好用", "很棒", "太棒", "赞", "感谢", "谢谢", "满意", "推荐", "完美", "给力", "好评", "贴心",
        "ชอบ", "ดีมาก", "ขอบคุณ", "ประทับใจ", "เยี่ยม", "สุดยอด", "แนะนำ",
        "merci", "gracias", "vielen dank", "danke", "terima kasih", "cảm ơn", "tuyệt vời", "ありがとう",
        "美味しかった", "감사", "친절", "شكرا", "ممتاز",
    ),
    Category.SALES_LEAD: (
        # purchase intent: packages, bulk, corporate and group deals, prices and quotes. Not `package`
        # alone (a parcel), nor `how much` alone (how much longer…), nor `price` alone (a billing issue)
        "bulk", "wholesale", "quote", "quotation", "pricing", "price list", "how much for", "how much do you charge",
        "how much would it cost", "units", "corporate order", "corporate rate", "corporate rates", "corporate deal",
        "corporate package", "corporate discount", "company retreat", "distributor", "reseller", "partnership",
        "for our office", "for our company", "for our team", "business account", "group booking", "group rate",
        "group rates", "group discount", "group deal", "package deal", "suite package", "honeymoon package",
        "wedding package", "holiday package", "vacation package", "stay package", "your packages",
        "discount if we", "rooms for our", "price for a group", "someone from sales", "sales team",
        "interested in buying", "interested in becoming", "event space", "function room", "wedding venue",
        "批量", "采购", "报价", "报个价", "批发", "代理", "经销", "企业购", "企业客户", "企业协议", "协议价", "团购",
        "团体", "团队价", "合作", "优惠方案", "折扣方案", "怎么卖", "婚宴", "年会", "包场",
        # 套餐 is also a set meal and 大量 "a lot of": only with a price or a purchase
        "套餐多少", "套餐价", "套餐怎么", "有没有套餐", "有套餐", "蜜月套餐", "婚宴套餐", "住宿套餐", "度假套餐",
        "大量采购", "大量购买", "大量订购",
        "สั่งจำนวนมาก", "จำนวนมาก", "ขายส่ง", "ราคาส่ง", "ใบเสนอราคา", "ตัวแทนจำหน่าย", "แพ็กเกจ", "แพ็คเกจ",
        "องค์กร", "กรุ๊ป", "หมู่คณะ", "ขอราคา", "สอบถามราคา", "จัดเลี้ยง", "สัมมนา",
        # fr, es, de, ms, id, vi
        "forfait", "devis", "tarif de groupe", "tarif entreprise", "séminaire", "paquete", "cotización",
        "presupuesto", "al por mayor", "firmenangebot", "gruppenpreis", "grosshandel", "pakej", "harga borong",
        "sebut harga", "paket", "harga grosir", "penawaran harga", "rombongan", "báo giá", "giá đoàn", "giá sỉ",
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
        # hygiene anywhere, and the shared facilities of a hotel or a store
        "dirty", "hygiene", "smell", "smelly", "cockroach", "cockroaches", "bathroom", "toilet", "mold", "mould",
        "bed bugs", "bedbugs", "unclean", "pool", "gym", "spa", "lobby", "elevator", "lift", "parking",
        "stains", "stained",
        "脏", "卫生", "异味", "蟑螂", "厕所", "霉", "床单", "不干净", "泳池", "游泳池", "健身房", "大堂", "电梯",
        "停车", "臭虫", "污渍",
        "สกปรก", "ห้องน้ำ", "กลิ่น", "แมลงสาบ", "สระว่ายน้ำ", "ฟิตเนส", "ลิฟต์", "ที่จอดรถ", "คราบ",
    ),
    IssueType.FOOD_BEVERAGE: (
        "food", "breakfast", "buffet", "dinner", "lunch", "meal", "meals", "restaurant", "coffee", "drinks",
        "menu", "dish", "undercooked", "stale", "tasteless", "room service", "bar", "waiter", "cold food",
        "早餐", "自助餐", "餐厅", "饭菜", "菜品", "食物", "难吃", "不新鲜", "咖啡", "饮料", "酒吧", "送餐服务",
        "没熟", "变质", "口味",
        "อาหาร", "บุฟเฟ่ต์", "ร้านอาหาร", "รสชาติ", "เครื่องดื่ม", "กาแฟ", "ไม่อร่อย", "ไม่สุก", "บูด",
    ),
    IssueType.ROOM: (
        "room was", "hotel room", "our room", "my room", "the room", "bed", "pillow", "pillows", "mattress",
        "air conditioning", "aircon", "a/c", "heating", "hot water", "shower", "minibar", "housekeeping",
        "towels", "noisy", "thin walls", "view", "suite", "wifi in the room",
        "房间", "客房", "床", "枕头", "床垫", "空调", "暖气", "热水", "淋浴", "隔音", "窗户", "毛巾", "房型",
        "套房", "打扫",
        "ห้องพัก", "เตียง", "หมอน", "แอร์", "น้ำอุ่น", "ฝักบัว", "ผ้าเช็ดตัว", "เสียงดัง", "แม่บ้าน",
    ),
    IssueType.BOOKING: (
        "booking", "booked", "reservation", "reserved", "check-in", "check in", "checkin", "check-out",
        "check out", "overbooked", "no record of", "my confirmation", "upgrade", "cancelled my booking",
        "预订", "预定", "订房", "订的房", "入住", "退房", "超售", "满房", "改期", "取消了我的",
        "จอง", "เช็คอิน", "เช็กอิน", "เช็คเอาท์", "เช็กเอาต์", "ยกเลิกการจอง",
    ),
}

POSITIVE = CATEGORY_CUES[Category.PRAISE] + ("happy", "good", "nice", "好", "不错", "开心", "ดี", "สวย")
NEGATIVE = CATEGORY_CUES[Category.COMPLAINT] + ("angry", "hate", "bad", "差", "烦", "生气", "โกรธ", "เกลียด")

# Threats (lawyers, regulators, the media) and harm to health or safety: critical whatever the
# sentiment. Specific phrases, not bare words: "fire" is praise on social media, "hospital" and
# "the press" are asked about ("is the hotel near a hospital?").
CRITICAL_CUES = (
    "lawyer", "my lawyers", "attorney", "sue", "suing", "sued", "lawsuit", "legal action", "small claims",
    "regulator", "consumer protection", "bbb", "better business bureau", "health department", "health inspector",
    "trading standards", "ombudsman", "reporting this to", "report you to", "to the press", "to the media",
    "journalist", "reporter", "news channel", "go viral", "food poisoning", "poisoned", "poisoning",
    "in hospital", "in the hospital", "to hospital", "to the hospital", "hospitalized", "hospitalised",
    "the er", "emergency room", "ambulance", "injury", "injured", "injuries", "allergic reaction", "anaphylaxis",
    "caught fire", "burst into flames", "exploded", "explode", "electric shock", "electrocuted", "burned",
    "carbon monoxide", "gas leak", "almost fell", "dangerous", "unsafe",
    "律师", "起诉", "告你们", "法院", "12315", "消协", "消委会", "消费者协会", "工商", "市场监管", "卫生局",
    "曝光", "媒体", "记者", "报警", "起火", "着火", "爆炸", "受伤", "烫伤", "中毒", "过敏", "送医", "进了医院",
    "去了医院", "进医院", "住院", "急诊", "漏电", "触电", "电到", "危险", "安全隐患",
    "ทนาย", "ฟ้อง", "สคบ", "นักข่าว", "ออกข่าว", "แจ้งความ", "ไฟไหม้", "ระเบิด", "บาดเจ็บ", "อาหารเป็นพิษ",
    "เข้าโรงพยาบาล", "ส่งโรงพยาบาล", "ไฟช็อต", "ไฟดูด", "อันตราย",
    # fr, es, de, ms, id, vi
    "avocat", "intoxication", "journaliste", "hôpital", "blessé", "abogado", "intoxicación", "periodista",
    "anwalt", "lebensmittelvergiftung", "vergiftung", "presse", "peguam", "keracunan", "pengacara",
    "luật sư", "ngộ độc", "nhà báo",
)
REPEAT_CUES = ("again", "third time", "second time", "3rd time", "still not", "still no", "keep happening",
               "又", "再次", "第三次", "第二次", "还是没", "一直", "屡次", "อีกแล้ว", "ครั้งที่สาม", "ซ้ำ")
COMPLEX_CUES = ("refund", "charged twice", "overcharged", "dispute", "compensation", "warranty claim",
                "damaged", "lawyer", "contract", "invoice", "cancel my", "replacement",
                "退款", "扣了两次", "多扣", "赔偿", "索赔", "保修", "换货", "合同", "发票", "投诉",
                "คืนเงิน", "ชดเชย", "เคลม", "เปลี่ยนสินค้า")
