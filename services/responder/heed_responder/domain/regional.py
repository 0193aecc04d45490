"""Regional Traditional Chinese: which standard a customer writes, and text converted to it.

Hong Kong and Taiwan both write Traditional characters but not the same way: Hong Kong posts are
often Cantonese, and Taiwan has its own vocabulary (軟體, 資訊, 計程車). Templates are written once in
Simplified and converted for the region; the customer's own name and words are never converted.

Neither region writes 爲 or 裏, which OpenCC's plain `s2t` produces; every Traditional text this
module returns uses 為 and 裡 (the issue reporter's rule, which Taiwan's standard already follows and
which we apply to Hong Kong too, although OpenCC's Hong Kong table keeps 裏).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from importlib import resources

from opencc import OpenCC

HK = "HK"
TW = "TW"

# Evidence that a post was written in Hong Kong (or Macau). Weight 2: a word only a Cantonese writer
# uses, enough on its own. Weight 1: places and local terms, which a visitor may also mention.
# Each pattern counts once however often it occurs.
HK_MARKERS: tuple[tuple[str, int], ...] = (
    ("嘅", 2), ("咗", 2), ("唔", 2), ("冇", 2), ("啲", 2), ("喺", 2), ("佢", 2), ("嚟", 2), ("嘢", 2),
    ("哋", 2), ("嗰", 2), ("喎", 2), ("睇", 2), ("[搵揾]", 2), ("畀", 2), ("噉", 2),
    ("點解|点解", 2), ("乜嘢|乜野|咩嘢", 2), ("而家", 2), ("邊度|边度|邊個|边个", 2),
    # 係 is Cantonese "to be", but also the Traditional of 系 in Mandarin words such as 關係 and 係數
    ("(?<![關关聯联維维])係(?![數数統统])", 2),
    # particles a Taiwanese writer uses now and then as well
    ("咩", 1), ("囉", 1), ("咁", 1),
    ("香港", 1), ("港鐵|港铁", 1), ("八達通|八达通", 1), ("旺角", 1), ("銅鑼灣|铜锣湾", 1),
    ("尖沙咀|尖沙嘴", 1), ("九龍|九龙", 1), ("新界", 1), ("沙田", 1), ("荃灣|荃湾", 1),
    ("將軍澳|将军澳", 1), ("澳門|澳门", 1), ("的士", 1), ("屋邨", 1),
)

# Evidence that a post was written in Taiwan. Weight 2: Zhuyin (bopomofo) letters and things that
# exist only there; weight 1: places and words Taiwan prefers. 高鐵 alone is left out (Hong Kong has
# a high-speed rail line too), as are words both regions write (資訊, 網路).
TW_MARKERS: tuple[tuple[str, int], ...] = (
    ("[\u3105-\u312f\u31a0-\u31bf]", 2), ("悠遊卡|悠游卡", 2), ("健保", 2), ("萊爾富|莱尔富", 2),
    ("統一發票|统一发票", 2),
    ("台灣|臺灣|台湾", 1), ("台北|臺北", 1), ("新北", 1), ("台中|臺中", 1), ("台南|臺南", 1),
    ("高雄", 1), ("桃園|桃园", 1), ("新竹", 1), ("台鐵|臺鐵|台铁", 1), ("捷運|捷运", 1),
    ("超商", 1), ("便利商店", 1), ("機車|机车", 1), ("計程車|计程车", 1), ("全聯|全联", 1),
    ("蝦皮|虾皮", 1), ("身分證", 1), ("喔", 1), ("欸", 1),
)

# The region an account's market implies.
MARKET_REGIONS: dict[str, str] = {"HK": HK, "MO": HK, "TW": TW}

# How much evidence overrides the account's market: one Cantonese word, or two weaker signs.
CLEAR_EVIDENCE = 2

# Old character forms OpenCC may still produce; neither region writes them.
_NEVER_WRITTEN = str.maketrans({"爲": "為", "裏": "裡"})

_HK_PATTERNS = tuple((re.compile(p), w) for p, w in HK_MARKERS)
_TW_PATTERNS = tuple((re.compile(p), w) for p, w in TW_MARKERS)

# A Jinja2 expression, statement or comment: kept exactly as written when a template is converted.
_JINJA_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


def _score(text: str, patterns: tuple[tuple[re.Pattern[str], int], ...]) -> int:
    return sum(weight for pattern, weight in patterns if pattern.search(text))


def region_of(text: str, *, market: str | None = None) -> str | None:
    """The regional standard a reply to `text` should follow: "HK", "TW" or None (no evidence).

    Each region's markers are scored (see HK_MARKERS and TW_MARKERS). The rule:
    1. The text decides, even against the account's market, when it is clear: one region scores at
       least CLEAR_EVIDENCE (a Cantonese word, Zhuyin, or two places or terms) and more than the other.
    2. Otherwise the market decides: "HK" and "MO" give "HK", "TW" gives "TW".
    3. With no usable market, weaker evidence still decides when only one region has any.
    """
    hk = _score(text, _HK_PATTERNS)
    tw = _score(text, _TW_PATTERNS)
    if max(hk, tw) >= CLEAR_EVIDENCE and hk != tw:
        return HK if hk > tw else TW
    from_market = MARKET_REGIONS.get((market or "").strip().upper())
    if from_market is not None:
        return from_market
    if hk != tw:
        return HK if hk > tw else TW
    return None


@lru_cache(maxsize=8)
def _converter(config: str) -> OpenCC:
    # Building a converter loads its dictionaries: do it once per configuration.
    return OpenCC(config)


def _traditional_config(region: str | None) -> str:
    if region == HK:
        return "s2hk"
    if region == TW:
        return "s2twp"  # Taiwan's phrases as well as its characters: 軟體, 資訊, 計程車
    return "s2tw"  # plain s2t writes 爲 and 裏; s2tw gives the forms every reader expects


def _to_region(region: str | None) -> Callable[[str], str]:
    converter = _converter(_traditional_config(region))
    return lambda text: str(converter.convert(text)).translate(_NEVER_WRITTEN)


def _convert_outside(text: str, kept: re.Pattern[str] | None, convert: Callable[[str], str]) -> str:
    """`text` converted everywhere except where `kept` matches, which stays exactly as it is."""
    if kept is None:
        return convert(text) if text else text
    parts: list[str] = []
    pos = 0
    for match in kept.finditer(text):
        if match.start() > pos:
            parts.append(convert(text[pos:match.start()]))
        parts.append(match.group())
        pos = match.end()
    if pos < len(text):
        parts.append(convert(text[pos:]))
    return "".join(parts)


def _kept_pattern(keep: Sequence[str]) -> re.Pattern[str] | None:
    # Longest first, so a name that contains another kept string is kept whole.
    kept = sorted({k for k in keep if k}, key=len, reverse=True)
    return re.compile("|".join(re.escape(k) for k in kept)) if kept else None


def to_traditional(text: str, region: str | None, *, keep: Sequence[str] = ()) -> str:
    """`text` in the region's Traditional standard (HK, TW, or Taiwan's characters for None).

    Every string in `keep` (the customer's name, handle, quoted words) comes out exactly as given.
    """
    return _convert_outside(text, _kept_pattern(keep), _to_region(region))


def to_simplified(text: str, *, keep: Sequence[str] = ()) -> str:
    """`text` in Simplified characters, every string in `keep` left exactly as given."""
    converter = _converter("t2s")
    return _convert_outside(text, _kept_pattern(keep), lambda part: str(converter.convert(part)))


@lru_cache(maxsize=512)
def convert_template(source: str, region: str | None) -> str:
    """A Jinja2 template source in the region's Traditional, its {{ }}, {% %} and {# #} tags untouched.

    Converting the template rather than the rendered reply is what keeps the values filled in later
    (names, handles, quotes) exactly as the customer wrote them.
    """
    return _convert_outside(source, _JINJA_TAG, _to_region(region))


@lru_cache(maxsize=2)
def _character_table(name: str) -> dict[str, tuple[str, ...]]:
    # OpenCC's own character dictionary, bundled in the package: one character, a tab, candidates.
    table: dict[str, tuple[str, ...]] = {}
    text = resources.files("opencc").joinpath("dictionary", name).read_text(encoding="utf-8")
    for line in text.splitlines():
        source, _, targets = line.partition("\t")
        if source and targets:
            table[source] = tuple(targets.split())
    return table


def _only_in(table: dict[str, tuple[str, ...]], other: dict[str, tuple[str, ...]]) -> frozenset[str]:
    # A character converted away that is never a conversion's result (里 → 裏 or 里: 里 is both).
    produced = {c for targets in table.values() for c in targets}
    return frozenset(c for c in table if c not in produced and c not in other)


@lru_cache(maxsize=1)
def _script_only() -> tuple[frozenset[str], frozenset[str]]:
    s2t = _character_table("STCharacters.txt")
    t2s = _character_table("TSCharacters.txt")
    return _only_in(s2t, t2s), _only_in(t2s, s2t)


def off_script(text: str, script: str | None) -> tuple[str, ...]:
    """The characters of `text` that only the other script writes, in order of first appearance.

    For "Hant", the Simplified-only characters (为, 这); for "Hans", the Traditional-only ones (為, 這).
    Characters both scripts write (里, 台, 后) and everything that is not Chinese are never listed.
    """
    simplified_only, traditional_only = _script_only()
    foreign = simplified_only if script == "Hant" else traditional_only if script == "Hans" else frozenset()
    return tuple(dict.fromkeys(c for c in text if c in foreign))
