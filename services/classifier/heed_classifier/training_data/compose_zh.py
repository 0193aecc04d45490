"""Team-written Chinese review clauses, composed into labelled training posts.

No permitted dataset is Chinese, so the team wrote these clauses itself: what customers say about
food delivery, hotels, books, phones/tablets/computers, fruit, shampoo, water heaters, milk,
clothes, logistics and customer service. `compose()` joins them into short reviews the way people
write them (one to three clauses, an overall verdict, a turn with 但是/就是/不过), deterministically
(seeded), so `python -m heed_classifier.training_data.compose_zh` rewrites the same CSV.

Labels: a post of positive clauses is positive, of negative clauses negative; in a post that turns
(但是, 就是, 不过, 可惜) the clause after the turn decides, as readers take it. Neutral posts are
questions and plain statements of fact.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

OUT = Path(__file__).with_name("team_examples_zh.csv")

INTENS = ("很", "非常", "特别", "超级", "挺", "真的很", "蛮", "相当", "十分", "太")

POSITIVE: dict[str, tuple[str, ...]] = {
    "food": (
        "味道{A}好", "{A}好吃", "分量足", "分量很足", "送餐{A}快", "送得{A}快", "配送{A}快", "外卖小哥{A}热情",
        "骑手服务态度好", "包装{A}好", "包装严实", "还是热的", "饭菜很香", "菜品新鲜", "口味正宗", "价格实惠",
        "性价比{A}高", "干净卫生", "汤很鲜", "肉很嫩", "米饭香软", "比店里吃还好", "提前送到了", "准时送达",
        "一如既往地好吃", "每次都点这家", "辣度刚好", "不油腻", "量大实惠", "骑手冒雨送来辛苦了", "菜量很足",
        "酸辣粉超赞", "鸡排外酥里嫩", "披萨芝士很多", "面条劲道", "饺子皮薄馅大", "奶茶甜度刚好", "粥熬得很稠",
        "家常味道很亲切", "红烧肉入味", "送的小菜也好吃", "餐具齐全", "速度快味道好",
    ),
    "hotel": (
        "房间{A}干净", "环境{A}好", "服务{A}周到", "前台{A}热情", "床很舒服", "早餐丰富", "位置方便", "交通便利",
        "隔音效果好", "性价比高", "设施齐全", "卫生间干净", "早餐种类多", "离地铁近", "房间宽敞明亮", "景色很美",
        "办理入住很快", "免费升级了房型", "服务员很有礼貌", "安静舒适", "床品很干净", "停车方便", "下次出差还住这里",
    ),
    "book": (
        "内容{A}好", "写得{A}好", "印刷清晰", "纸张质量好", "值得一读", "受益匪浅", "孩子很喜欢", "故事很感人",
        "装帧精美", "正版书", "讲得很透彻", "翻译流畅", "一口气读完了", "很有启发", "图文并茂", "推荐大家看",
    ),
    "device": (
        "运行{A}流畅", "屏幕{A}清晰", "电池耐用", "续航{A}给力", "拍照效果好", "做工精致", "手感好", "速度{A}快",
        "系统流畅", "外观漂亮", "散热好", "声音清楚", "反应灵敏", "性能强", "开机很快", "颜值高", "轻薄便携",
        "键盘手感好", "画质细腻", "信号稳定", "充电很快", "玩游戏不卡", "正品行货", "用起来顺手", "配置高",
    ),
    "fruit": (
        "水果{A}新鲜", "{A}甜", "个头大", "汁多", "口感好", "没有坏果", "包装很用心", "果子饱满", "脆甜多汁",
        "比超市的好", "新鲜度高", "香味浓",
    ),
    "care": (
        "洗完头发很顺", "味道{A}好闻", "去屑效果好", "用了不掉发", "泡沫丰富", "不伤头皮", "洗得干净", "香味持久",
        "头发柔顺多了", "温和不刺激", "是正品",
    ),
    "heater": (
        "出水{A}快", "加热快", "安装师傅很专业", "师傅上门准时", "水温稳定", "用着省电", "操作简单", "安装很规范",
        "热水很足", "外观大方", "静音效果好",
    ),
    "milk": (
        "{A}好喝", "口感醇厚", "奶味浓", "日期新鲜", "孩子爱喝", "营养好喝", "包装完好", "一直喝这个牌子",
    ),
    "clothes": (
        "尺码标准", "面料{A}舒服", "做工精细", "颜色好看", "穿着合身", "质量{A}好", "版型好", "没有色差",
        "很显瘦", "料子厚实", "穿上很有气质", "洗了不掉色", "款式时尚",
    ),
    "general": (
        "{A}满意", "质量{A}好", "物流{A}快", "发货{A}快", "客服{A}耐心", "客服态度好", "服务{A}好", "物美价廉",
        "值得购买", "非常值", "很实用", "与描述一致", "包装完好", "第二天就到了", "卖家很负责", "买得放心",
        "物超所值", "超出预期", "好评", "五星好评", "赞一个", "点赞", "推荐购买", "还会回购", "会再来",
        "东西不错", "挺不错的", "很不错", "没有异味", "没有任何问题", "完全没毛病", "和图片一样", "不贵",
        "价格公道", "售后很好", "退换很方便", "客服回复及时", "心情很好", "很喜欢", "爱了", "太棒了",
        "好评如潮名不虚传", "必须好评", "真心推荐", "很放心", "用了一段时间才来评价很好", "用着挺好",
    ),
}

NEGATIVE: dict[str, tuple[str, ...]] = {
    "food": (
        "送餐{A}慢", "送得{A}慢", "等了两个小时", "等了一个多小时才送到", "饭菜都凉了", "味道{A}差", "{A}难吃",
        "分量太少", "量少得可怜", "{A}咸", "太油了", "菜是馊的", "有头发", "吃出了虫子", "吃完拉肚子", "少送了一份",
        "送错了", "漏送饮料", "米饭是生的", "肉不新鲜", "汤洒了一半", "包装破了", "骑手态度恶劣", "骑手不接电话",
        "商家不接电话", "越来越难吃", "和以前不一样了", "分量越来越少", "不好吃", "一点味道都没有", "太辣了没法吃",
        "土豆丝都糊了", "面条坨了", "冷冰冰的", "奶茶洒了", "价格贵分量少", "菜都是冷的", "吃了一口就扔了",
        "配送员把餐放在楼下就走了", "超时了还不道歉", "鸡肉全是骨头", "饭太硬", "再也不点了", "没放筷子",
    ),
    "hotel": (
        "房间{A}脏", "隔音{A}差", "床单有污渍", "卫生间有异味", "有蟑螂", "空调不制冷", "热水时有时无",
        "前台态度{A}差", "早餐太差", "设施陈旧", "房间小得转不开身", "网络很慢", "窗户关不上", "半夜很吵",
        "和图片差距很大", "入住等了很久", "房间潮湿有霉味", "毛巾发黄", "服务员爱答不理", "价格虚高", "不会再住了",
    ),
    "book": (
        "印刷模糊", "纸张很差", "有错别字", "是盗版", "书角都压坏了", "缺页", "内容空洞", "写得很烂", "翻译生硬",
        "不值这个价", "书脏了", "看不下去", "装订松散", "内容太浅",
    ),
    "device": (
        "{A}卡", "屏幕有坏点", "电池不耐用", "续航太差", "发热严重", "用了三天就坏了", "开不了机", "经常死机",
        "充不进电", "信号差", "拍照模糊", "声音太小", "做工粗糙", "有划痕", "是翻新机", "系统老是闪退",
        "掉电很快", "键盘有几个键失灵", "触屏不灵敏", "风扇噪音大", "蓝屏了", "黑屏", "反应迟钝", "wifi经常断",
        "充电器是坏的", "不是正品", "比实体店贵", "屏幕发黄", "自动关机",
    ),
    "fruit": (
        "水果都烂了", "{A}酸", "一点都不甜", "坏了好几个", "个头很小", "不新鲜", "有股怪味", "干巴巴的没水分",
        "压坏了一半", "和描述不符", "发霉了",
    ),
    "care": (
        "洗完头发很干", "头皮痒", "掉发更严重了", "味道刺鼻", "感觉是假货", "一点效果都没有", "用完过敏了",
        "瓶子漏了", "泡沫很少", "洗完很油",
    ),
    "heater": (
        "安装师傅乱收费", "加热{A}慢", "漏水", "水温忽冷忽热", "用了一个月就坏了", "安装拖了一周", "噪音很大",
        "显示屏不亮", "费电", "售后推来推去", "上门安装还要额外收费",
    ),
    "milk": (
        "喝起来有怪味", "快过期了", "已经过期了", "包装鼓包", "口感很淡像兑了水", "漏奶了", "箱子破了",
    ),
    "clothes": (
        "尺码偏小", "尺码不准", "{A}起球", "掉色严重", "有线头", "面料很差", "色差很大", "做工粗糙", "穿着不舒服",
        "有股味道", "洗一次就变形", "和图片完全不一样", "质量{A}差", "很薄透", "开线了",
    ),
    "general": (
        "{A}失望", "质量{A}差", "物流{A}慢", "发货{A}慢", "客服态度{A}差", "客服不理人", "差评", "垃圾",
        "上当了", "不值", "太坑了", "不满意", "非常不满意", "退货", "已经申请退款", "千万别买", "别买",
        "不推荐", "再也不买了", "再也不会来了", "后悔买了", "浪费钱", "骗人", "与描述不符", "质量不好", "不好用",
        "一般般吧不会回购", "没有想象中好", "问题很多", "收到就是坏的", "包装太简陋", "售后很差", "退款一直不处理",
        "客服一直推脱", "说好的赠品没有", "等了一个星期才到", "快递员态度差", "差劲", "太差了", "糟糕",
        "体验很差", "心情很糟", "气死了", "无语", "坑人", "很失望", "越来越差", "实在太差", "以后不会再买",
        "一分钱一分货", "真不怎么样", "不怎么样", "有点失望", "还不如", "不行", "一星都不想给",
    ),
}

VERDICT_POS = ("总体很满意", "下次还会再来", "五星好评", "推荐", "值得", "好评", "会回购的", "满意", "赞", "给个好评")
VERDICT_NEG = ("差评", "不会再买了", "不推荐", "失望", "很生气", "后悔", "浪费钱", "别来了", "给一星都多", "真的很无语")
TURNS = ("但是", "就是", "不过", "可惜", "只是", "可是")
MILD_POS = ("还行", "还可以", "凑合", "味道还行", "东西还可以", "整体还行", "看着还行")
NEUTRAL = (
    "请问什么时候发货", "请问有没有大一号的", "这个和上一代有什么区别", "请问保修多久", "今天下单明天能到吗",
    "请问可以开发票吗", "想问一下怎么安装", "这款有黑色的吗", "我刚下单了一个电饭煲", "收到了还没用",
    "还没拆开看", "帮朋友买的", "第一次在这家买", "请问可以送到公司吗", "周末营业吗", "几点关门",
    "门店在哪里", "这个适合几岁的孩子", "支持货到付款吗", "能用优惠券吗", "买了两箱", "给家里老人买的",
    "刚收到", "用了几天再来追评", "想了解一下会员怎么办", "请问怎么联系售后", "有没有实体店", "晚上十点以后还送吗",
    "点了一份套餐", "今天中午点的", "住了两晚", "出差住的", "双十一买的", "看评论买的", "这是第二次购买",
)
QUESTION_MARKS = ("请问", "吗", "什么", "怎么", "多久", "哪里", "有没有", "几点", "能不能")
SEPS = ("，", "，", "。", "！", " ", "", "，", "；")
ENDS = ("", "", "。", "！", "！！", "~", "啊", "了", "。。。")


def _fill(clause: str, rng: random.Random) -> str:
    return clause.replace("{A}", rng.choice(INTENS)) if "{A}" in clause else clause


def _clauses(pool: dict[str, tuple[str, ...]], domain: str, k: int, rng: random.Random) -> list[str]:
    options = pool[domain] + pool["general"]
    return [_fill(c, rng) for c in rng.sample(options, k)]


def _join(parts: list[str], rng: random.Random) -> str:
    out = parts[0]
    for part in parts[1:]:
        out += rng.choice(SEPS) + part
    return out + rng.choice(ENDS)


def compose(n_per_label: int = 1800, seed: int = 7) -> list[tuple[str, str, str]]:
    """(text, intent, sentiment) rows: positive, negative, turned and neutral posts."""
    rng = random.Random(seed)
    domains = [d for d in POSITIVE if d != "general"]
    rows: list[tuple[str, str, str]] = []
    seen: set[str] = set()

    def add(text: str, intent: str, sentiment: str) -> None:
        if text not in seen:
            seen.add(text)
            rows.append((text, intent, sentiment))

    for _ in range(n_per_label):
        d = rng.choice(domains)
        parts = _clauses(POSITIVE, d, rng.randint(1, 3), rng)
        if rng.random() < 0.3:
            parts.append(rng.choice(VERDICT_POS))
        add(_join(parts, rng), "praise", "positive")
        d = rng.choice(domains)
        parts = _clauses(NEGATIVE, d, rng.randint(1, 3), rng)
        if rng.random() < 0.3:
            parts.append(rng.choice(VERDICT_NEG))
        add(_join(parts, rng), "complaint", "negative")
    for _ in range(n_per_label // 3):
        d = rng.choice(domains)
        # a turn: the clause after 但是/就是/不过 decides
        first = rng.choice([*_clauses(POSITIVE, d, 1, rng), rng.choice(MILD_POS)])
        add(first + "，" + rng.choice(TURNS) + _clauses(NEGATIVE, d, 1, rng)[0] + rng.choice(ENDS), "complaint",
            "negative")
        first = _clauses(NEGATIVE, d, 1, rng)[0]
        tail = _clauses(POSITIVE, d, rng.randint(1, 2), rng)
        add(first + "，" + rng.choice(("但是", "不过", "好在", "但")) + "，".join(tail) + rng.choice(ENDS), "praise",
            "positive")
    for _ in range(n_per_label // 3):
        parts = rng.sample(NEUTRAL, rng.randint(1, 2))
        asks = any(q in p for p in parts for q in QUESTION_MARKS)
        add(_join(parts, rng).rstrip("！~"), "question" if asks else "other", "neutral")
    return rows


def main() -> None:
    rows = compose()
    with OUT.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["text", "intent_mapped", "sentiment_mapped"])
        writer.writerows(rows)
    print(f"wrote {OUT} ({len(rows)} rows)")


if __name__ == "__main__":
    main()
