"""What customers say they prefer: pillows, rooms, diets, access needs, language and how to be contacted.

`extract_preferences(text, language)` reads one post and returns `StatedPreference`s: a kind, a normalised
value from `PATTERNS`, a confidence and the id of the pattern that matched. The customer's text is never
returned, so nothing here carries PII onward. `needs_confirmation(p)` says whether an agent should confirm
a preference (confidence below `CONFIRM_BELOW`) before it goes onto the customer record.

How to read and change the table (operations)
---------------------------------------------
`PATTERNS` is one row per (language, kind, value): `id` ("<language>.<kind>.<value>", the evidence stored
with the preference), `language` ("en", "zh" — Simplified and Traditional script in the same regex, e.g.
[头頭], [过過]敏 — or "th"), `kind`, `value`, `regex` and `base`. A regex matches the *mention* of a thing
("feather pillow", "羽毛枕", "หมอนขนนก"); the sentence around it decides the confidence. Regexes run on folded
text: lower case, full-width Latin and digits made ASCII (Ｃａｌｌ ｍｅ -> call me), curly apostrophes made
straight, runs of spaces made one. Full NFKC is deliberately not used: it rewrites Thai SARA AM (ำ).

Every regex must stay linear: literals, character classes and *bounded* gaps such as `[^,.!?]{0,30}`; no
quantified group that itself contains a quantifier (a test walks the table and enforces this).

Confidence rules, applied to each match in this order
-----------------------------------------------------
The *clause* is the part of the sentence between commas, semicolons or "and/but/但/และ/แต่"; the *sentence*
ends at . ! ? 。 ！ ？, a line break, or a Thai question particle (ไหม, มั้ย, หรือเปล่า) followed by a space.

1. Negated -> dropped. A negation cue ends just before the mention in its clause ("I don't want a feather
   pillow", "no feather pillows", "rather than a sea view", "我不要羽绒枕", "ไม่เอาหมอนขนนก", "allergic to
   feathers") or follows it closely ("羽毛枕过敏", "feather allergy"). Nothing is inverted into an opposite
   value except through rows that say so themselves: "allergic to feathers" is its own
   pillow=hypoallergenic row, "I don't eat pork" / "不吃猪肉" / "ไม่ทานหมู" are dietary=no_pork rows.
   "can't sleep without" cancels the negation.
2. Third person -> min(base + 0.05, 0.70), below `CONFIRM_BELOW`: the clause names someone else ("my wife",
   "我太太", "ภรรยา") and no first person ("my wife and I" is first person). The fact still concerns the
   booking, so it is kept, but an agent confirms whose record it belongs on.
3. First-person statement or request in the clause -> max(0.85, min(0.95, base + 0.30)): "I always",
   "I prefer", "I'm", "I use", "please", "could we", "我是", "我吃", "我对", "请", "ขอ", "ฉัน", "ปกติ", "แพ้".
4. Availability question (clause, or the sentence when it has no first-person statement) -> min(base, 0.55):
   "do you have…?", "有没有…", "…ไหม" may be curiosity. Raised as in rule 3 when the text that follows
   within the next sentence holds a first-person statement *and* refers back ("…? I always sleep better
   with them", "…？我习惯用这种", "…ไหมคะ ปกติใช้แบบนี้").
5. First-person statement elsewhere in the sentence -> as rule 3.
6. Otherwise the bare mention -> base. Every base is below `CONFIRM_BELOW`: a mention alone never goes
   straight onto the record.

One preference per (kind, value) is returned, the highest confidence kept (ties: the earlier row).
The `language` hint ("en", "zh", "zh-Hant", "th", …) limits the rows to that language; None or a
language without rows tries all of them. Cues (negation, first person, question) are always read in
every language, because posts mix scripts.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass
from typing import NamedTuple

CONFIRM_BELOW = 0.75

STANCE_FLOOR = 0.85
STANCE_BOOST = 0.30
CEILING = 0.95
THIRD_PERSON_CAP = 0.70
THIRD_PERSON_BOOST = 0.05
QUESTION_CAP = 0.55

# How far around a mention the cues are read: bounded, so a long post without punctuation stays linear.
_CLAUSE_REACH = 80
_NEGATION_REACH = 30
_NEGATION_AFTER_REACH = 10
_FOLLOW_REACH = 160


@dataclass(frozen=True)
class StatedPreference:
    """One thing a customer said they prefer; `evidence` is the id of the pattern row, never their words."""

    kind: str
    value: str
    confidence: float
    evidence: str


class PatternRow(NamedTuple):
    id: str
    language: str
    kind: str
    value: str
    regex: str
    base: float


# Shared pieces of the contact-time rows: a contact verb near a time of day, in either order.
_EN_CONTACT = r"\b(?:call|phone|ring|contact|reach|text|message|email|available|reachable)(?:ing)?\b"
_EN_GAP = r"[^.!?\n]{0,30}"
_ZH_CONTACT = r"(?:打[电電]话|打[电電]話|[来來][电電]|致[电電]|回[电電]|[联聯][系繫络絡]|找我|通知我)"
_ZH_GAP = r"[^。！？!?\n]{0,10}"
_TH_CONTACT = r"(?:โทร|ติดต่อ|ทักมา|ส่งข้อความ)"
_TH_GAP = r"[^\n?]{0,15}"
_EN_ANSWER = r"\b(?:reply|respond|answer|write|talk|speak|message|email|call)(?: back)?(?: to)?(?: me| us)? in "

_EN_MORNING = r"(?:mornings?|before (?:noon|midday|lunch)|(?:[6-9]|1[01])(?:[:.][0-5]\d)? ?(?:am|a\.m\.))"
_EN_AFTERNOON = (r"(?:afternoons?|after lunch|after (?:12|[1-4])(?:[:.][0-5]\d)? ?(?:pm|p\.m\.)"
                 r"|after 1[2-6][:.]?[0-5]\d)")
_EN_EVENING = (r"(?:evenings?|tonight|after work|after (?:[5-9]|1[01])(?:[:.][0-5]\d)? ?(?:pm|p\.m\.|o'clock)"
               r"|after (?:1[7-9]|2[0-2])[:.]?[0-5]\d)")
_EN_WEEKEND = r"(?:weekends?|saturdays?|sundays?)"
_ZH_MORNING = r"(?:早上|上午|早晨)"
_ZH_AFTERNOON = r"(?:下午|午[后後])"
_ZH_EVENING = r"(?:晚上|傍晚|夜[里裡]|下班[后後]|(?:[5-9]|[五六七八九])[点點](?:以[后後]|之[后後]|[后後]))"
_ZH_WEEKEND = r"(?:[周週]末|星期[六日天]|[礼禮]拜[六日天])"
_TH_MORNING = r"(?:ช่วงเช้า|ตอนเช้า)"
_TH_AFTERNOON = r"(?:ช่วงบ่าย|ตอนบ่าย)"
_TH_EVENING = r"(?:ช่วงเย็น|ตอนเย็น|ตอนค่ำ|หลัง ?(?:6|หก|18|1 ?ทุ่ม)(?: ?โมง(?:เย็น)?)?)"
_TH_WEEKEND = r"(?:เสาร์อาทิตย์|วันหยุด|สุดสัปดาห์)"


def _near(contact: str, gap: str, when: str) -> str:
    """A contact verb and a time within a short gap, in either order."""
    return f"{contact}{gap}{when}|{when}{gap}{contact}"


PATTERNS: tuple[PatternRow, ...] = (
    # ---- pillow
    PatternRow("en.pillow.feather", "en", "pillow", "feather", r"\bfeather(?:s|[- ]filled)?\b", 0.6),
    PatternRow("en.pillow.down", "en", "pillow", "down",
               r"\b(?:goose|duck)[- ]?down\b|\bdown[- ](?:pillows?|duvets?|comforters?|filled)\b", 0.6),
    PatternRow("en.pillow.memory_foam", "en", "pillow", "memory_foam", r"\bmemory[- ]?foam\b|\btempur", 0.6),
    PatternRow("en.pillow.hypoallergenic", "en", "pillow", "hypoallergenic",
               r"\bhypo[- ]?allergenic\b|\bnon[- ]allergenic\b|\banti[- ]?allerg(?:y|ic) (?:pillows?|bedding)\b"
               r"|\ballergic to [a-z ,]{0,30}?\b(?:feathers?|down|dust(?: mites?)?)\b"
               r"|\b(?:feather|down|dust mite) allerg(?:y|ies)\b", 0.6),
    PatternRow("en.pillow.firm", "en", "pillow", "firm",
               r"\b(?:firm|hard)(?:er)? pillows?\b|\bpillows? (?:that (?:is|are) |a bit |quite )?firm(?:er)?\b", 0.6),
    PatternRow("en.pillow.soft", "en", "pillow", "soft",
               r"\bsoft(?:er)? pillows?\b|\bpillows? (?:that (?:is|are) |a bit |quite )?soft(?:er)?\b", 0.6),
    PatternRow("en.pillow.buckwheat", "en", "pillow", "buckwheat", r"\bbuckwheat\b|\bsobakawa\b", 0.6),
    PatternRow("zh.pillow.feather", "zh", "pillow", "feather", r"(?:羽毛|[鹅鵝]毛)枕", 0.6),
    PatternRow("zh.pillow.down", "zh", "pillow", "down", r"(?:羽|[鹅鵝]|[鸭鴨])[绒絨]枕|羽[绒絨]的枕", 0.6),
    PatternRow("zh.pillow.memory_foam", "zh", "pillow", "memory_foam",
               r"[记記][忆憶](?:枕|棉)|慢回[弹彈]", 0.6),
    PatternRow("zh.pillow.hypoallergenic", "zh", "pillow", "hypoallergenic",
               r"[防抗][过過]敏(?:的)?枕|防[螨蟎]|(?:羽毛|羽[绒絨]|[尘塵][螨蟎])[^，。！？,.!?]{0,3}[过過]敏", 0.6),
    PatternRow("zh.pillow.firm", "zh", "pillow", "firm",
               r"硬(?:一?[点點]|些)?的枕|枕[头頭]?(?:要|比[较較]|偏)?硬", 0.6),
    PatternRow("zh.pillow.soft", "zh", "pillow", "soft",
               r"[软軟](?:一?[点點]|些)?的枕|枕[头頭]?(?:要|比[较較]|偏)?[软軟]", 0.6),
    PatternRow("zh.pillow.buckwheat", "zh", "pillow", "buckwheat", r"[荞蕎][麦麥]", 0.6),
    PatternRow("th.pillow.feather", "th", "pillow", "feather", r"หมอนขนนก|ขนนก", 0.6),
    PatternRow("th.pillow.down", "th", "pillow", "down", r"หมอนขนห่าน|ขนห่าน|ขนเป็ด", 0.6),
    PatternRow("th.pillow.memory_foam", "th", "pillow", "memory_foam", r"เมมโมรี่ ?โฟม|เมมโมรี ?โฟม", 0.6),
    PatternRow("th.pillow.hypoallergenic", "th", "pillow", "hypoallergenic",
               r"กันไรฝุ่น|แพ้ไรฝุ่น|แพ้ขน(?:นก|เป็ด|ห่าน)|กันภูมิแพ้|ป้องกันภูมิแพ้", 0.6),
    PatternRow("th.pillow.firm", "th", "pillow", "firm", r"หมอน(?:ที่)?(?:แข็ง|แน่น)", 0.6),
    PatternRow("th.pillow.soft", "th", "pillow", "soft", r"หมอน(?:ที่)?(?:นุ่ม|นิ่ม)", 0.6),
    PatternRow("th.pillow.buckwheat", "th", "pillow", "buckwheat", r"บัควีท", 0.6),
    # ---- room
    PatternRow("en.room.high_floor", "en", "room", "high_floor",
               r"\bhigh(?:er)?[- ](?:floors?|level|storey)\b|\b(?:top|upper) floors?\b|\bhigh up\b", 0.6),
    PatternRow("en.room.low_floor", "en", "room", "low_floor",
               r"\blow(?:er)?[- ](?:floors?|level)\b|\bground[- ]floor room\b", 0.6),
    PatternRow("en.room.quiet", "en", "room", "quiet",
               r"\bquiet(?:er|est)? (?:room|side|floor|area|corner|one)\b|\bsomewhere quiet\b|\bas quiet as\b"
               r"|\baway from (?:the )?(?:lifts?|elevators?|street|road|noise|bar|nightclub)\b", 0.6),
    PatternRow("en.room.sea_view", "en", "room", "sea_view",
               r"\b(?:sea|ocean|beach|bay)[- ]?(?:view|facing|front)\b|\bview of the (?:sea|ocean|bay|beach)\b", 0.6),
    PatternRow("en.room.city_view", "en", "room", "city_view",
               r"\b(?:city|skyline)[- ]?(?:view|facing)\b|\bview of the (?:city|skyline)\b", 0.6),
    PatternRow("en.room.non_smoking", "en", "room", "non_smoking",
               r"\bnon[- ]?smok(?:ing|er)\b|\bno[- ]smoking\b|\bsmoke[- ]free\b", 0.6),
    PatternRow("en.room.twin", "en", "room", "twin",
               r"\btwin[- ]?(?:beds?|rooms?|bedded|share)\b|\btwo (?:single |separate )?beds\b|\bseparate beds\b", 0.6),
    PatternRow("en.room.king", "en", "room", "king", 
               r"\bking[- ]?(?:size[d]?[- ]?)?(?:beds?|rooms?)\b|\bking[- ]size\b", 0.6),
    PatternRow("en.room.connecting", "en", "room", "connecting",
               r"\b(?:inter)?connecting rooms?\b|\badjoining rooms?\b|\bcommunicating rooms?\b", 0.6),
    PatternRow("en.room.accessible", "en", "room", "accessible",
               r"\baccessible (?:room|bathroom|shower)\b|\bada room\b|\broll[- ]in shower\b"
               r"|\bdisabled[- ]access(?:ible)? room\b", 0.6),
    PatternRow("zh.room.high_floor", "zh", "room", "high_floor",
               r"高[楼樓][层層]|高[层層](?!管理|[领領][导導])|[楼樓][层層](?:要|比[较較])?高"
               r"|高一[点點]的[楼樓][层層]", 0.6),
    PatternRow("zh.room.low_floor", "zh", "room", "low_floor",
               r"低[楼樓][层層]|低[层層]|[楼樓][层層](?:要|比[较較])?低", 0.6),
    PatternRow("zh.room.quiet", "zh", "room", "quiet",
               r"[安清][静靜](?:一?[点點]|些)?的?(?:房|[楼樓][层層]|位置)|(?:要|希望)[安清][静靜]"
               r"|[远遠][离離](?:[电電]梯|[马馬]路|街道|噪音)", 0.6),
    PatternRow("zh.room.sea_view", "zh", "room", "sea_view", r"海景|看海|面海|望海", 0.6),
    PatternRow("zh.room.city_view", "zh", "room", "city_view", r"城景|市景|城市景[观觀]|看城市", 0.6),
    PatternRow("zh.room.non_smoking", "zh", "room", "non_smoking", r"[无無][烟煙]|禁[烟煙]|不吸[烟煙]|非吸[烟煙]", 0.6),
    PatternRow("zh.room.twin", "zh", "room", "twin",
               r"[双雙]床|[两兩][张張](?:[单單]人)?床|[标標]准[间間]|標準間", 0.6),
    PatternRow("zh.room.king", "zh", "room", "king", r"(?:特)?大床", 0.6),
    PatternRow("zh.room.connecting", "zh", "room", "connecting",
               r"[连連]通(?:的)?房|相[连連](?:的)?房|互通(?:的)?房", 0.6),
    PatternRow("zh.room.accessible", "zh", "room", "accessible", r"[无無]障[碍礙](?:的)?(?:客房|房)", 0.6),
    PatternRow("th.room.high_floor", "th", "room", "high_floor", r"ชั้นสูง|ชั้นบนๆ|ห้องชั้นบน", 0.6),
    PatternRow("th.room.low_floor", "th", "room", "low_floor", r"ชั้นล่าง|ชั้นต่ำ", 0.6),
    PatternRow("th.room.quiet", "th", "room", "quiet", r"ห้องเงียบ|เงียบๆ|เงียบสงบ|ไกลลิฟ|ห่างจากลิฟ|ห่างลิฟ", 0.6),
    PatternRow("th.room.sea_view", "th", "room", "sea_view", r"วิวทะเล|เห็นทะเล|ติดทะเล", 0.6),
    PatternRow("th.room.city_view", "th", "room", "city_view", r"วิวเมือง|วิวตัวเมือง|วิวซิตี้", 0.6),
    PatternRow("th.room.non_smoking", "th", "room", "non_smoking", r"ปลอดบุหรี่|ไม่สูบบุหรี่|ห้ามสูบบุหรี่", 0.6),
    PatternRow("th.room.twin", "th", "room", "twin", r"เตียงคู่|เตียงแฝด|ทวิน|สอง ?เตียง|2 ?เตียง", 0.6),
    PatternRow("th.room.king", "th", "room", "king", r"เตียงใหญ่|คิงส์? ?ไซส์", 0.6),
    PatternRow("th.room.connecting", "th", "room", "connecting", r"ห้องเชื่อม(?:ต่อ|กัน)|ห้องที่เชื่อมกัน|คอนเนค", 0.6),
    PatternRow("th.room.accessible", "th", "room", "accessible", r"ห้อง(?:สำหรับ)?ผู้พิการ|ห้องสำหรับวีลแชร์", 0.6),
    # ---- dietary
    PatternRow("en.dietary.vegetarian", "en", "dietary", "vegetarian",
               r"\bvegetarian\b|\bveggie\b|\b(?:don't|do not|never) eat (?:any )?meat\b", 0.6),
    PatternRow("en.dietary.vegan", "en", "dietary", "vegan", r"\bvegan\b|\bplant[- ]based\b", 0.6),
    PatternRow("en.dietary.halal", "en", "dietary", "halal", r"\bhalal\b", 0.6),
    PatternRow("en.dietary.kosher", "en", "dietary", "kosher", r"\bkosher\b", 0.6),
    PatternRow("en.dietary.gluten_free", "en", "dietary", "gluten_free",
               r"\bgluten[- ]?free\b|\bc(?:o)?eliac\b|\bgluten (?:intoleran(?:t|ce)|allergy)\b|\ballergic to gluten\b"
               r"|\b(?:can't|cannot|don't|do not) (?:eat|have) gluten\b", 0.6),
    PatternRow("en.dietary.lactose_free", "en", "dietary", "lactose_free",
               r"\blactose[- ]?(?:free|intoleran(?:t|ce))\b|\bdairy[- ]free\b|\bmilk allergy\b"
               r"|\b(?:no|can't have|cannot have|don't eat|allergic to) dairy\b", 0.6),
    PatternRow("en.dietary.nut_allergy", "en", "dietary", "nut_allergy",
               r"\b(?:pea|tree )?nut allerg(?:y|ies|ic)\b|\bnut[- ]free\b"
               r"|\ballergic to [a-z ,]{0,40}?\b(?:pea)?nuts?\b|\b(?:can't|cannot) eat (?:pea)?nuts\b", 0.6),
    PatternRow("en.dietary.seafood_allergy", "en", "dietary", "seafood_allergy",
               r"\b(?:seafood|shellfish|shrimp|prawn|fish|crab|lobster) allerg(?:y|ies|ic)\b"
               r"|\ballergic to [a-z ,]{0,40}?\b(?:seafood|shellfish|shrimps?|prawns?|fish|crabs?|lobsters?"
               r"|oysters?|mussels?)\b", 0.6),
    PatternRow("en.dietary.no_pork", "en", "dietary", "no_pork",
               r"\bno pork\b|\bpork[- ]free\b|\bwithout pork\b"
               r"|\b(?:don't|do not|doesn't|does not|can't|cannot|never) eat (?:any )?pork\b", 0.6),
    PatternRow("en.dietary.no_beef", "en", "dietary", "no_beef",
               r"\bno beef\b|\bbeef[- ]free\b|\bwithout beef\b"
               r"|\b(?:don't|do not|doesn't|does not|can't|cannot|never) eat (?:any )?beef\b", 0.6),
    PatternRow("zh.dietary.vegetarian", "zh", "dietary", "vegetarian",
               r"(?<![纯純全])素食|吃素|茹素|[斋齋]菜|蛋奶素|不吃肉", 0.6),
    PatternRow("zh.dietary.vegan", "zh", "dietary", "vegan", r"[纯純全]素", 0.6),
    PatternRow("zh.dietary.halal", "zh", "dietary", "halal", r"清真|哈拉", 0.6),
    PatternRow("zh.dietary.kosher", "zh", "dietary", "kosher", r"[犹猶]太[洁潔]食|[洁潔]食", 0.6),
    PatternRow("zh.dietary.gluten_free", "zh", "dietary", "gluten_free",
               r"[无無][麸麩]质|無麩質|[麸麩][质質][过過]敏|不含[麸麩][质質]|乳糜[泻瀉]", 0.6),
    PatternRow("zh.dietary.lactose_free", "zh", "dietary", "lactose_free",
               r"乳糖不耐|[无無]乳糖|乳[制製]品[过過]敏|牛奶[过過]敏|不含乳|不[喝能]牛奶", 0.6),
    PatternRow("zh.dietary.nut_allergy", "zh", "dietary", "nut_allergy",
               r"(?:花生|[坚堅]果|果仁|腰果|杏仁|核桃)[^，。！？,.!?\n]{0,8}[过過]敏|不能吃(?:花生|[坚堅]果)", 0.6),
    PatternRow("zh.dietary.seafood_allergy", "zh", "dietary", "seafood_allergy",
               r"(?:海[鲜鮮]|[虾蝦]|[蟹]|[贝貝][类類]|[鱼魚]|甲[壳殼])[^，。！？,.!?\n]{0,8}[过過]敏"
               r"|不能吃海[鲜鮮]", 0.6),
    PatternRow("zh.dietary.no_pork", "zh", "dietary", "no_pork",
               r"不(?:吃|要|含)[猪豬](?:肉)?|[无無][猪豬]肉|忌[猪豬]", 0.6),
    PatternRow("zh.dietary.no_beef", "zh", "dietary", "no_beef", r"不(?:吃|要|含)牛(?:肉)?|[无無]牛肉|忌牛", 0.6),
    PatternRow("th.dietary.vegetarian", "th", "dietary", "vegetarian",
               r"มังสวิรัติ|มังสะวิรัติ|(?:ไม่ทาน|ไม่กิน)เนื้อสัตว์", 0.6),
    PatternRow("th.dietary.vegan", "th", "dietary", "vegan", r"วีแกน|(?:ทาน|กิน)เจ|อาหารเจ", 0.6),
    PatternRow("th.dietary.halal", "th", "dietary", "halal", r"ฮาลาล", 0.6),
    PatternRow("th.dietary.kosher", "th", "dietary", "kosher", r"โคเชอร์", 0.6),
    PatternRow("th.dietary.gluten_free", "th", "dietary", "gluten_free", r"ไม่มีกลูเตน|ปลอดกลูเตน|แพ้กลูเตน|กลูเตนฟรี", 0.6),
    PatternRow("th.dietary.lactose_free", "th", "dietary", "lactose_free",
               r"แพ้แล(?:ค|็ก)โตส|แพ้นม|ไม่มีแล(?:ค|็ก)โตส|(?:ไม่ทาน|ไม่ดื่ม)นม", 0.6),
    PatternRow("th.dietary.nut_allergy", "th", "dietary", "nut_allergy", r"แพ้[^\s]{0,15}?ถั่ว(?!เหลือง)", 0.6),
    PatternRow("th.dietary.seafood_allergy", "th", "dietary", "seafood_allergy",
               r"แพ้[^\s]{0,15}?(?:อาหารทะเล|กุ้ง|ปู|หอย|ปลา)", 0.6),
    PatternRow("th.dietary.no_pork", "th", "dietary", "no_pork",
               r"(?:ไม่ทาน|ไม่กิน|ไม่เอา|ไม่ใส่|งด)(?:เนื้อ)?หมู", 0.6),
    PatternRow("th.dietary.no_beef", "th", "dietary", "no_beef",
               r"(?:ไม่ทาน|ไม่กิน|ไม่เอา|ไม่ใส่|งด)(?:เนื้อวัว|วัว|เนื้อ(?!สัตว์|หมู|ไก่|ปลา))", 0.6),
    # ---- accessibility
    PatternRow("en.accessibility.wheelchair", "en", "accessibility", "wheelchair", r"\bwheel ?chairs?\b", 0.6),
    PatternRow("en.accessibility.step_free", "en", "accessibility", "step_free",
               r"\bstep[- ]free\b|\blevel access\b|\bno (?:steps|stairs)\b"
               r"|\b(?:can't|cannot) (?:do|climb|use|manage) (?:the )?(?:steps|stairs)\b", 0.6),
    PatternRow("en.accessibility.hearing", "en", "accessibility", "hearing",
               r"\bdeaf\b|\bhard of hearing\b|\bhearing[- ](?:impaired|aids?|loss)\b|\bvisual (?:fire )?alarms?\b",
               0.6),
    PatternRow("en.accessibility.visual", "en", "accessibility", "visual",
               r"\bblind\b|\bvisually[- ]impaired\b|\bpartially sighted\b|\blow vision\b|\bguide dog\b|\bbraille\b",
               0.6),
    PatternRow("en.accessibility.mobility", "en", "accessibility", "mobility",
               r"\bmobility (?:issues?|problems?|aids?|scooter)\b|\blimited mobility\b|\bwalking (?:stick|frame|aid)\b"
               r"|\bcrutches\b|\b(?:can't|cannot) walk (?:far|long)\b", 0.6),
    PatternRow("zh.accessibility.wheelchair", "zh", "accessibility", "wheelchair", r"[轮輪]椅", 0.6),
    PatternRow("zh.accessibility.step_free", "zh", "accessibility", "step_free",
               r"[无無]台[阶階]|[没沒]有台[阶階]|不能(?:走|爬)[楼樓]梯|[无無]障[碍礙]通道", 0.6),
    PatternRow("zh.accessibility.hearing", "zh", "accessibility", "hearing",
               r"[听聽]障|耳[聋聾]|[听聽]力不好|助[听聽]器|[听聽]不[见見]", 0.6),
    PatternRow("zh.accessibility.visual", "zh", "accessibility", "visual",
               r"[视視]障|失明|盲人|[导導]盲犬|[视視]力不好", 0.6),
    PatternRow("zh.accessibility.mobility", "zh", "accessibility", "mobility",
               r"行[动動]不便|拐杖|助行器|腿[脚腳]不便|走路不方便", 0.6),
    PatternRow("th.accessibility.wheelchair", "th", "accessibility", "wheelchair",
               r"วีลแชร์|รถเข็น(?!เด็ก|กระเป๋า|ของ)", 0.6),
    PatternRow("th.accessibility.step_free", "th", "accessibility", "step_free",
               r"ไม่มีขั้นบันได|(?:ขึ้น|เดินขึ้น)บันไดไม่(?:ได้|ไหว)|ทางลาด", 0.6),
    PatternRow("th.accessibility.hearing", "th", "accessibility", "hearing",
               r"หูหนวก|หูตึง|ได้ยินไม่ชัด|บกพร่องทางการได้ยิน|เครื่องช่วยฟัง", 0.6),
    PatternRow("th.accessibility.visual", "th", "accessibility", "visual",
               r"ตาบอด|สายตาเลือนราง|บกพร่องทางการมองเห็น|สุนัขนำทาง", 0.6),
    PatternRow("th.accessibility.mobility", "th", "accessibility", "mobility",
               r"เดินไม่สะดวก|เดินลำบาก|ไม้เท้า|ไม้ค้ำ", 0.6),
    # ---- language: a wish to be answered in a language, not a mention of one
    PatternRow("en.language.en", "en", "language", "en",
               _EN_ANSWER + r"english\b|\b(?:in )?english,? (?:please|pls)\b|\bprefer english\b", 0.6),
    PatternRow("en.language.zh-Hans", "en", "language", "zh-Hans",
               _EN_ANSWER + r"(?:simplified )?chinese\b|" + _EN_ANSWER + r"mandarin\b|\bsimplified chinese\b", 0.55),
    PatternRow("en.language.zh-Hant", "en", "language", "zh-Hant",
               _EN_ANSWER + r"(?:traditional chinese|cantonese)\b|\btraditional chinese\b", 0.6),
    PatternRow("en.language.th", "en", "language", "th", _EN_ANSWER + r"thai\b|\bthai,? please\b", 0.6),
    PatternRow("zh.language.en", "zh", "language", "en",
               r"(?:用|[说說]|[讲講])英[文语語]|英[文语語](?:回[复覆]|回答|[沟溝]通)", 0.6),
    PatternRow("zh.language.zh-Hans", "zh", "language", "zh-Hans",
               r"[简簡]体中文|[简簡]体字|普通话|[请说讲][^，。]{0,2}中文|中文(?:回复|沟通|联系)", 0.6),
    PatternRow("zh.language.zh-Hant", "zh", "language", "zh-Hant",
               r"[繁]體|繁体中文|正體|[粤粵]語|粤语|[广廣]東話|广东话|[請說講][^，。]{0,2}中文|中文(?:回覆|溝通|聯絡|聯繫)",
               0.6),
    PatternRow("zh.language.th", "zh", "language", "th",
               r"(?:用|[说說]|[讲講])泰[文语語]|泰[文语語](?:回[复覆]|[沟溝]通)", 0.6),
    PatternRow("th.language.th", "th", "language", "th",
               r"(?:ตอบ|คุย|พูด|สื่อสาร|ติดต่อ)(?:เป็น)?ภาษาไทย|ขอภาษาไทย|ภาษาไทยได้ไหม", 0.6),
    PatternRow("th.language.en", "th", "language", "en",
               r"(?:ตอบ|คุย|พูด|สื่อสาร|ติดต่อ)(?:เป็น)?ภาษาอังกฤษ|ขอภาษาอังกฤษ|ภาษาอังกฤษได้ไหม", 0.6),
    PatternRow("th.language.zh-Hans", "th", "language", "zh-Hans",
               r"(?:ตอบ|คุย|พูด|สื่อสาร|ติดต่อ)(?:เป็น)?ภาษาจีน|ขอภาษาจีน", 0.55),
    # ---- contact_time: only next to a contact verb, so "we arrive after 6pm" is not a contact time
    PatternRow("en.contact_time.morning", "en", "contact_time", "morning",
               _near(_EN_CONTACT, _EN_GAP, _EN_MORNING), 0.6),
    PatternRow("en.contact_time.afternoon", "en", "contact_time", "afternoon",
               _near(_EN_CONTACT, _EN_GAP, _EN_AFTERNOON), 0.6),
    PatternRow("en.contact_time.evening", "en", "contact_time", "evening",
               _near(_EN_CONTACT, _EN_GAP, _EN_EVENING), 0.6),
    PatternRow("en.contact_time.weekend", "en", "contact_time", "weekend",
               _near(_EN_CONTACT, _EN_GAP, _EN_WEEKEND), 0.6),
    PatternRow("zh.contact_time.morning", "zh", "contact_time", "morning",
               _near(_ZH_CONTACT, _ZH_GAP, _ZH_MORNING), 0.6),
    PatternRow("zh.contact_time.afternoon", "zh", "contact_time", "afternoon",
               _near(_ZH_CONTACT, _ZH_GAP, _ZH_AFTERNOON), 0.6),
    PatternRow("zh.contact_time.evening", "zh", "contact_time", "evening",
               _near(_ZH_CONTACT, _ZH_GAP, _ZH_EVENING), 0.6),
    PatternRow("zh.contact_time.weekend", "zh", "contact_time", "weekend",
               _near(_ZH_CONTACT, _ZH_GAP, _ZH_WEEKEND), 0.6),
    PatternRow("th.contact_time.morning", "th", "contact_time", "morning",
               _near(_TH_CONTACT, _TH_GAP, _TH_MORNING), 0.6),
    PatternRow("th.contact_time.afternoon", "th", "contact_time", "afternoon",
               _near(_TH_CONTACT, _TH_GAP, _TH_AFTERNOON), 0.6),
    PatternRow("th.contact_time.evening", "th", "contact_time", "evening",
               _near(_TH_CONTACT, _TH_GAP, _TH_EVENING), 0.6),
    PatternRow("th.contact_time.weekend", "th", "contact_time", "weekend",
               _near(_TH_CONTACT, _TH_GAP, _TH_WEEKEND), 0.6),
    # ---- contact_channel
    PatternRow("en.contact_channel.phone", "en", "contact_channel", "phone",
               r"\b(?:call|phone|ring) (?:me|us)\b|\bby (?:tele)?phone\b|\bover the phone\b"
               r"|\bgive (?:me|us) a (?:call|ring)\b", 0.6),
    PatternRow("en.contact_channel.email", "en", "contact_channel", "email",
               r"\be-?mail (?:me|us)\b|\b(?:by|via) e-?mail\b|\bsend (?:me|us) an e-?mail\b", 0.6),
    PatternRow("en.contact_channel.private_message", "en", "contact_channel", "private_message",
               r"\bdms?\b|\bdm (?:me|us)\b|\bpm (?:me|us)\b|\bdirect message\b|\bprivate message\b|\binbox (?:me|us)\b"
               r"|\bmessage (?:me|us) privately\b", 0.6),
    PatternRow("zh.contact_channel.phone", "zh", "contact_channel", "phone",
               r"打[电電][话話]|[电電][话話][联聯][系繫络絡]|打[给給]我|[来來][电電]|致[电電]|回[电電]", 0.6),
    PatternRow("zh.contact_channel.email", "zh", "contact_channel", "email", r"[邮郵]件|[电電][邮郵]|邮箱|郵箱", 0.6),
    PatternRow("zh.contact_channel.private_message", "zh", "contact_channel", "private_message",
               r"私信|私[讯訊]|私聊|站[内內]信", 0.6),
    PatternRow("th.contact_channel.phone", "th", "contact_channel", "phone", r"โทรหา|โทรกลับ|โทรมา|ทางโทรศัพท์", 0.6),
    PatternRow("th.contact_channel.email", "th", "contact_channel", "email", r"อีเมล|ทางเมล", 0.6),
    PatternRow("th.contact_channel.private_message", "th", "contact_channel", "private_message",
               r"ทักแชท|ทางแชท|ข้อความส่วนตัว|อินบ็อก|อินบ๊อก|ทางไลน์", 0.6),
)

VOCABULARY: frozenset[tuple[str, str]] = frozenset((row.kind, row.value) for row in PATTERNS)


# ---- cues: read in every language, because posts mix scripts
_NEGATION_BEFORE = re.compile(
    r"(?:\bno|\bnot|n't|\bnever|\bhate|\bdislike|\bavoid|\binstead of|\brather than|\bother than|\ballergic to"
    r"|\bwithout|\bagainst)\b[^,.;:!?]{0,20}$"
    r"|(?:不要|不想要|不想|不用|不需要|不喜[欢歡]|不[爱愛]|不是|不能|(?<![特区區级級分识識告])[别別]|[讨討]厌|討厭"
    r"|(?<!有)[没沒]有)[^，。！？,.!?；;]{0,6}$|不$"
    r"|(?:ไม่|แพ้)(?:เอา|ต้องการ|ใช้|ชอบ|อยากได้|ใช่|รับ|ค่อยชอบ|ชอบใช้|อยากใช้)?\s?$")
_NEGATION_CANCELLED = re.compile(r"(?:n't|\bnot|\bnever)\b[^,.;:!?]{0,15}\bwithout\b|n't mind\b|\bnot mind\b")
# Read with match() at the end of the mention, so each branch is anchored there.
_NEGATION_AFTER = re.compile(r"[\s-]{0,2}(?:allerg|free\b)|[^，。！？,.!?]{0,3}?[过過]敏|\s?(?:ไม่เอา|ไม่ต้อง|ไม่ใช้)")
_STANCE = re.compile(
    r"\b(?:i|we)(?:'d| would)? (?:always|usually|normally|generally|only|prefer|rather|like|love|need|want|use"
    r"|eat|sleep|require|find)\b"
    r"|\b(?:i|we)(?:'m|'re| am| are)\b(?! (?:just |only )?(?:wondering|curious|asking|not sure|looking|interested))"
    r"|\b(?:i|we) (?:don't|do not|never|can't|cannot) eat\b|n't (?:sleep|live|do) without\b"
    r"|\b(?:i|we) (?:have|got) (?:an? )?(?:severe |serious |mild |bad )?(?:[a-z]+ )?allerg"
    r"|\bplease\b|\bpls\b|\bplz\b|\bkindly\b|\bmy (?:preference|usual)\b"
    r"|\b(?:could|can|may|would) (?:i|we)\b(?! (?:ask|check|know))"
    r"|\b(?:could|can|would) you\b(?! (?:tell|let|confirm|check|ask|say|explain|have))"
    r"|我[们們]?(?:一直|[总總]是|都|[习習][惯慣]|喜[欢歡]|偏好|比[较較]喜[欢歡]|需要|要|想要|只|是(?!想[问問])|吃|[对對]|用|坐|睡)"
    r"|[请請]|麻[烦煩]|希望|最好|[给給帮幫替]我|能否|可否|能不能|可不可以|拜[托託]|[务務]必"
    r"|ขอ(?!บคุณ|โทษ)|ฉัน|ผม|ดิฉัน|เรา(?!ง)|อยากได้|อยากให้|ต้องการ|ชอบ|ประจำ|ปกติ|รบกวน|ช่วย|หน่อย|แพ้|ทานเจ|กินเจ"
    r"|ด้วย(?:นะ|ค่ะ|ครับ)|นะคะ|นะครับ")
_SELF = re.compile(
    r"\b(?:i|we|i'm|i'd|we're|we'd|myself|us)\b"
    r"|我(?!的?(?:太太|老婆|老公|先生|妻子|丈夫|孩子|[儿兒]子|女[儿兒]|[妈媽]{1,2}|爸爸|父母|母[亲親]|父[亲親]|朋友|同事"
    r"|老[板闆]|[宝寶]{2}|家人))"
    r"|(?<!ภรรยา)(?<!สามี)(?<!แฟน)(?<!ลูก)(?<!แม่)(?<!พ่อ)(?<!เพื่อน)(?<!ของ)(?:ผม|ฉัน|ดิฉัน|เรา(?!ง))")
_THIRD_PERSON = re.compile(
    r"\b(?:my|our) (?:wife|husband|partner|son|daughter|child|children|kids?|mother|mom|mum|father|dad|parents?"
    r"|friends?|colleague|boss|guests?|grandmother|grandfather|grandma|grandpa|baby|girlfriend|boyfriend|fianc[eé]e?"
    r"|sister|brother|family)\b|\b(?:he|she|his|her)\b"
    r"|太太|老婆|老公|先生|妻子|丈夫|孩子|[儿兒]子|女[儿兒]|[妈媽]{2}|爸爸|父母|母[亲親]|父[亲親]|朋友|同事|老[板闆]|[宝寶]{2}|(?<!其)他|她"
    r"|ภรรยา|สามี|แฟน|ลูก(?!ค้า)|แม่(?!น้ำ)|พ่อ(?!ค้า)|เพื่อน|เขา(?!ใหญ่)|เค้า")
_QUESTION = re.compile(
    r"[?？]|\b(?:do|does|did) (?:you|the hotel|the room|the restaurant|it|they)\b|\b(?:is|are) there\b|\bwhether\b"
    r"|\bwondering\b|\bany chance\b"
    r"|有[没沒]有|有[无無]|[吗嗎]|是否|呢"
    r"|ไหม|มั้ย|หรือเปล่า|หรือไม่|รึเปล่า")
_REFERS_BACK = re.compile(r"\b(?:them|they|those|these|it|one|ones|that)\b"
                          r"|它|[这這那](?:[种種个個样樣类類些])|แบบนี้|แบบนั้น|อันนี้|อันนั้น|มัน")
_SENTENCE_END = re.compile(
    r"[!?！？。\n]+|\.(?=\s|$)|(?:ไหม|มั้ย|หรือเปล่า|หรือไม่)(?:คะ|ค่ะ|ครับ|คับ|จ๊ะ|จ้ะ|นะ)?\s+")
_CLAUSE_BREAK = re.compile(
    r"[,，;；、:：]|\b(?:but|and|although|though|however|whereas)\b|但是|但|而且|并且|並且|不[过過]|可是|และ|แต่|ส่วน(?!ตัว|ลด)")

_FOLD_MAP: dict[int, int | str] = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FOLD_MAP.update({0x3000: " ", 0x2019: "'", 0x2018: "'", 0x02BC: "'"})
_FOLD = str.maketrans(_FOLD_MAP)
_SPACES = re.compile(r"[^\S\n]+")

_COMPILED: tuple[tuple[PatternRow, re.Pattern[str]], ...] = tuple((row, re.compile(row.regex)) for row in PATTERNS)
LANGUAGES = ("en", "th", "zh")
# Each language's rows need a letter of its own writing system to match (a test proves it row by row), so a
# post is read only with the rows of the systems it is written in: one Chinese post is one scan of the
# Chinese rows, not of all 128. The letters that decide, searched once each:
SCRIPT_OF: dict[str, re.Pattern[str]] = {
    "en": re.compile(r"[a-z]"),  # on folded text: lower case, full-width Latin made ASCII
    "th": re.compile(r"[\u0e00-\u0e7f]"),
    "zh": re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"),
}
# one alternation of the rows of each set of languages: most posts state no preference, and one scan says so
# instead of one per row
_ROWS: dict[frozenset[str], tuple[tuple[PatternRow, re.Pattern[str]], ...]] = {}
_ANY: dict[frozenset[str], re.Pattern[str]] = {}
for _size in range(1, len(LANGUAGES) + 1):
    for _chosen in itertools.combinations(LANGUAGES, _size):
        _ROWS[frozenset(_chosen)] = tuple(pair for pair in _COMPILED if pair[0].language in _chosen)
        _ANY[frozenset(_chosen)] = re.compile("|".join(f"(?:{row.regex})" for row, _ in _ROWS[frozenset(_chosen)]))


def _fold(text: str) -> str:
    """The form the patterns read: lower case, full-width Latin made ASCII, one space for a run of spaces."""
    return _SPACES.sub(" ", text.translate(_FOLD).casefold())


def needs_confirmation(preference: StatedPreference) -> bool:
    """Whether an agent should confirm the preference before it goes onto the customer record."""
    return preference.confidence < CONFIRM_BELOW


def extract_preferences(text: str, language: str | None = None) -> list[StatedPreference]:
    """The preferences stated in `text`, one per (kind, value) with its highest confidence, in table order."""
    folded = _fold(text)
    languages = _languages(folded, language)
    if not languages or _ANY[languages].search(folded) is None:
        return []
    ends = [match.end() for match in _SENTENCE_END.finditer(folded)]
    best: dict[tuple[str, str], StatedPreference] = {}
    for row, pattern in _ROWS[languages]:
        key = (row.kind, row.value)
        for match in pattern.finditer(folded):
            if key in best and best[key].confidence >= CEILING:
                break
            confidence = _confidence(folded, ends, match.start(), match.end(), row.base)
            if confidence is not None and (key not in best or confidence > best[key].confidence):
                best[key] = StatedPreference(row.kind, row.value, confidence, row.id)
    return list(best.values())


def _languages(folded: str, hint: str | None) -> frozenset[str]:
    """The languages whose rows can match: the hint's, when it has rows and its letters are there; else every
    language whose letters the post holds."""
    written = frozenset(language for language, letters in SCRIPT_OF.items() if letters.search(folded))
    primary = hint.split("-")[0].casefold() if hint else None
    if primary in written:
        return frozenset((primary,))
    return written if primary not in SCRIPT_OF else frozenset()


def _found(pattern: re.Pattern[str], text: str, span: tuple[int, int]) -> bool:
    # Searching the whole text between bounds (not a slice) lets \b and look-behinds see the real neighbours.
    return pattern.search(text, *span) is not None


def _confidence(text: str, ends: list[int], start: int, end: int, base: float) -> float | None:
    """The confidence of one mention from the cues around it, or None when it is negated (module docstring)."""
    index = bisect.bisect_right(ends, start)
    sentence_start = ends[index - 1] if index else 0
    sentence_end = ends[index] if index < len(ends) else len(text)
    next_end = ends[index + 1] if index + 1 < len(ends) else len(text)

    window_start = max(sentence_start, start - _CLAUSE_REACH)
    window_end = min(sentence_end, end + _CLAUSE_REACH)
    clause_start = max((m.end() for m in _CLAUSE_BREAK.finditer(text, window_start, start)), default=window_start)
    first_break = _CLAUSE_BREAK.search(text, end, window_end)
    clause = (clause_start, first_break.start() if first_break else window_end)
    sentence = (window_start, window_end)

    negation = (max(clause_start, start - _NEGATION_REACH), start)
    if _found(_NEGATION_BEFORE, text, negation) and not _found(_NEGATION_CANCELLED, text, negation):
        return None
    if _NEGATION_AFTER.match(text, end, min(end + _NEGATION_AFTER_REACH, sentence_end)):
        return None

    stated = round(max(STANCE_FLOOR, min(CEILING, base + STANCE_BOOST)), 2)
    if _found(_THIRD_PERSON, text, clause) and not _found(_SELF, text, clause):
        return round(min(THIRD_PERSON_CAP, base + THIRD_PERSON_BOOST), 2)
    if _found(_STANCE, text, clause):
        return stated
    sentence_states = _found(_STANCE, text, sentence)
    if _found(_QUESTION, text, clause) or (_found(_QUESTION, text, sentence) and not sentence_states):
        following = (end, min(next_end, end + _FOLLOW_REACH))
        if _found(_STANCE, text, following) and _found(_REFERS_BACK, text, following):
            return stated
        return min(QUESTION_CAP, base)
    if sentence_states:
        return stated
    return base
