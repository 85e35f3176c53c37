"""Deterministic parsers for form values: amounts (cn2an), entity types, operating periods, ID numbers and phones
(restored from the PII vault), person names, addresses (district codes), enterprise names and business scope.

Each parser returns plain values with their position in the text; extract.py decides which field they fill."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cn2an

from assistant.approval.address import parse_address
from assistant.approval.rules.identity import ric_problem
from assistant.approval.rules.scope import map_description
from assistant.filling.spec import english_activities
from assistant.guardrails.pii import PLACEHOLDER

# --- amounts -------------------------------------------------------------------------------------------------
_CN_NUM = "零〇一二两三四五六七八九十百千万亿点"
_AMOUNT = re.compile(
    rf"(?P<neg>[-−负]\s*)?(?P<num>\d+(?:[.,]\d+)*|[{_CN_NUM}]+)\s*"
    r"(?P<unit>万元人民币|万元|万块钱|万块|万人民币|万|w|W|千元|千块|千|k|K|元|块钱|块)?"
)
_EN_AMOUNT = re.compile(
    r"(?P<neg>-\s*|minus\s+|negative\s+)?(?:rmb|cny|¥|￥)?\s*(?P<num>\d+(?:,\d{3})*(?:\.\d+)?)\s*"
    r"(?P<unit>million|mln|m\b|thousand|k\b|wan\b|万|yuan|rmb|cny)?(?:\s*(?:yuan|rmb|cny))?",
    re.I,
)


@dataclass(frozen=True)
class Amount:
    wan: float
    start: int
    end: int
    negative: bool = False
    explicit_unit: bool = True


def _cn_number(s: str) -> float | None:
    s = s.replace(",", "")
    try:
        return float(cn2an.cn2an(s, "smart"))
    except (ValueError, KeyError, IndexError):
        return None


def amounts(text: str, *, bare_as_wan: bool = False) -> list[Amount]:
    """Money amounts in 万元: 六十万 → 60, 5万块 → 5, 5000元 → 0.5, "600k yuan" → 60, "1 million" → 100.
    A bare number counts only with ``bare_as_wan`` (the applicant is answering a question in 万元)."""
    out: list[Amount] = []
    for m in _AMOUNT.finditer(text):
        num, unit = m.group("num"), m.group("unit") or ""
        if len(re.sub(r"\D", "", num)) > 10:
            continue  # an ID or phone number, not money
        if set(num) <= set("点零〇") or (num[-1] in "点" and not unit):
            continue
        if re.search(r"[A-Za-z]", text[m.end() : m.end() + 1]) and unit in ("", "k", "K", "w", "W"):
            continue
        after = text[m.end() : m.end() + 1]
        if not unit and re.match(r"[号室楼栋层座路街年月日岁个人位名家间天起倍%％\-]", after):
            continue
        if not unit and m.start() > 0 and re.match(r"[\dA-Za-z号路街栋\-]", text[m.start() - 1]):
            continue
        value = _cn_number(num)
        if value is None:
            continue
        raw_cn = not num[0].isdigit()
        if unit.startswith("万") or unit in ("w", "W"):
            wan = value
        elif unit.startswith("千") or unit in ("k", "K"):
            wan = value / 10
        elif unit in ("元", "块", "块钱") or (raw_cn and value >= 10000):
            wan = value / 10000
        elif bare_as_wan and not unit:
            wan = value
        else:
            continue
        out.append(Amount(round(wan, 4), m.start(), m.end(), bool(m.group("neg")), bool(unit) or raw_cn))
    if re.search(r"[A-Za-z]{3}", text):
        for m in _EN_AMOUNT.finditer(text):
            if any(a.start < m.end() and m.start() < a.end for a in out):
                continue
            if len(re.sub(r"\D", "", m.group("num"))) > 10:
                continue
            value = float(m.group("num").replace(",", ""))
            unit = (m.group("unit") or "").lower()
            if unit in ("million", "mln", "m"):
                wan = value * 100
            elif unit in ("thousand", "k"):
                wan = value / 10
            elif unit in ("wan", "万"):
                wan = value
            elif unit in ("yuan", "rmb", "cny") or re.match(r"(?:rmb|cny|¥|￥)", m.group(0).strip(), re.I):
                wan = value / 10000
            elif bare_as_wan:
                wan = value
            else:
                continue
            out.append(Amount(round(wan, 4), m.start(), m.end(), bool(m.group("neg"))))
    return sorted(out, key=lambda a: a.start)


def percent(text: str) -> list[tuple[float, int, int]]:
    out = []
    for m in re.finditer(rf"(\d+(?:\.\d+)?)\s*[%％]|百分之([{_CN_NUM}]+)", text):
        v = float(m.group(1)) if m.group(1) else _cn_number(m.group(2))
        if v is not None:
            out.append((v, m.start(), m.end()))
    return out


# --- entity type, period, composition ----------------------------------------------------------------------
_ENTITY = [
    (
        "个人独资企业",
        re.compile(r"个人独资|独资企业|sole[- ]proprietorship|sole proprietor(?:ship)? enterprise|个独", re.I),
    ),
    (
        "个体工商户",
        re.compile(
            r"个体工商户|个体户|个体|individual (?:industrial and commercial )?business|sole trader|self[- ]employed"
            r"|individual household",
            re.I,
        ),
    ),
    ("股份有限公司", re.compile(r"股份有限公司|股份公司|joint[- ]stock", re.I)),
    (
        "有限责任公司",
        re.compile(r"有限责任公司|有限公司|一人公司|公司|\b(?:limited (?:liability )?company|llc|ltd|company)\b", re.I),
    ),
]


def entity_type(text: str) -> str | None:
    for et, pat in _ENTITY:
        if pat.search(text):
            return et
    return None


_PERIOD_LONG = re.compile(
    r"长期|永久|不限期|无固定期限|没有期限|long[- ]?term|indefinite|no (?:fixed )?(?:end|limit|term)|permanent", re.I
)
_PERIOD_YEARS = re.compile(rf"(\d{{1,3}}|[{_CN_NUM}]{{1,4}})\s*年|(\d{{1,3}})\s*years?", re.I)


def period(text: str, asked: bool = False) -> str | None:
    if _PERIOD_LONG.search(text):
        return "长期"
    if asked or re.search(r"营业期限|经营期限|期限|operating period|term", text, re.I):
        m = _PERIOD_YEARS.search(text)
        if m:
            n = _cn_number(m.group(1) or m.group(2))
            if n and n > 0:
                return f"{int(n)}年"
    return None


def composition(text: str, asked: bool = False) -> str | None:
    if re.search(r"家庭经营|家庭|全家|夫妻|老婆|老公|爱人|家里人|家人|family|my (?:wife|husband)", text, re.I):
        return "家庭经营"
    if re.search(
        r"个人经营|一个人|自己(?:经营|做|搞|开)|就我|独自|by myself|alone|just me|on my own|individual(?:ly)?",
        text,
        re.I,
    ):
        return "个人经营"
    if asked and re.search(r"个人|自己|myself", text, re.I):
        return "个人经营"
    return None


# --- IDs and phones (PII placeholders) ------------------------------------------------------------------------
@dataclass(frozen=True)
class Found:
    value: str
    start: int
    end: int


def placeholders(text: str, vault: dict[str, str], kinds: tuple[str, ...]) -> list[Found]:
    """PII placeholders of the given kinds (身份证号, 手机号, 固定电话) with their original values."""
    out = []
    for m in PLACEHOLDER.finditer(text):
        if m.group(1) in kinds and m.group(0) in vault:
            raw = vault[m.group(0)].strip()
            area = re.match(r"^[(（]?(0\d{2,3})[)）\s\-－‐]+(\d{7,8}.*)$", raw)
            value = f"{area.group(1)}-{area.group(2)}" if area else re.sub(r"[\s\-－‐]", "", raw).upper()
            out.append(Found(value, m.start(), m.end()))
    return out


_BAD_ID = re.compile(r"(?<![\d\[])(\d{14,20}[Xx]?)(?![\d])")


def bad_ids(text: str) -> list[tuple[str, str, str, int]]:
    """Digit runs that look like an ID number but are not valid: (zh, en explanation, digits, position)."""
    out = []
    for m in _BAD_ID.finditer(text):
        num = m.group(1).upper()
        if len(num) != 18:
            out.append(
                (
                    f"身份证号码应为18位，您输入的是{len(num)}位，请核对。",
                    f"An ID card number has 18 characters; you typed {len(num)}. Please check it.",
                    num,
                    m.start(),
                )
            )
        elif ric_problem(num) is not None:
            out.append(
                (
                    "这个身份证号码的校验位（最后一位）不对，可能抄错了某一位，请核对。",
                    "The check digit (last character) of this ID number does not match; a digit may be wrong.",
                    num,
                    m.start(),
                )
            )
    return out


_BAD_PHONE = re.compile(r"(?<![\d\[])(1\d{9}|1\d{11,12})(?![\d])")


# --- person names -------------------------------------------------------------------------------------------
SURNAMES = (
    "萧|常|区|欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|长孙|夏侯|令狐|"
    "王|李|张|刘|陈|杨|黄|赵|吴|周|徐|孙|马|朱|胡|郭|何|高|林|罗|郑|梁|谢|宋|唐|许|韩|冯|邓|曹|彭|曾|肖|田|董|袁|潘|"
    "于|蒋|蔡|杜|叶|程|苏|魏|吕|丁|任|沈|姚|卢|姜|崔|钟|谭|陆|汪|范|金|石|廖|贾|夏|韦|付|傅|白|邹|孟|熊|秦|邱|"
    "江|尹|薛|闫|阎|段|雷|侯|龙|史|陶|黎|贺|顾|毛|郝|龚|邵|万|钱|严|覃|武|戴|莫|孔|汤|温|康|施|牛|樊|葛|邢|"
    "安|齐|易|乔|伍|庞|颜|倪|庄|聂|章|鲁|岳|翟|殷|詹|申|欧|耿|关|兰|焦|俞|柳|祝|符|舒|阮|柯|纪|梅|童|"
    "凌|毕|裴|霍|涂|苗|翁|冉|骆|蓝|游|辛|靳|管|柴|蒙|鲍|华|喻|祁|蒲|房|滕|屈|饶|解|牟|艾|尤|阳|"
    "时|穆|卓|缪|项|芦|麦|褚|娄|窦|戚|岑|党|费|卜|晏|席|卫|柏|瞿|桂|佟|臧|"
    "闵|苟|邬|卞|姬|仇|栾|隋|刁|寇|郎|甄|丛|仲|虞|敖|巩|佘|池|苑|迟|邝|匡|"
    "鞠|惠|荆|冀|郁|胥|储|栗|燕|楚|鄢|劳|谌|奚|粟|冼|蔺|盘|厉|仝|郜|阚|"
    "帅|屠|豆|朴|盖|练|廉|禹|祖|漆|巴|丰|卿|狄|索|扈|晁|芮|"
    "伏|邸|雍|辜|裘|邰|赫|杭|况|宿|鲜|逯|茹|亢|嵇|湛|戎|"
    "勾|茅|於|呼|揭|尉|冶|斯|檀|昝|尧"
)
# characters that end a name: verbs and particles that follow a name in these sentences
_AFTER = (
    "合两俩二三个们出当做任是和跟与同的负占投拿来身电手说也都为担兼及先在持有就再呢吧啊呀了叫姓名"
    + "，。、,. ：:；;！!？?（(）)"
)
_NAME = re.compile(rf"(?:{SURNAMES})[\u4e00-\u9fff]{{1,2}}")
_NOT_NAME = re.compile(
    r"^(?:公司|有限|个体|经营|注册|法人|监事|董事|常用|常见|常年|常规|常住|区域|区县|区内|区的|区政府|区市场|萧条|申报|申请|准备|成立|股东|经理|执行|身份|电话|手机|地址|名称|万元|和平|安全|方面|高新|白云|海珠|天河|越秀|"
    r"番禺|花都|南沙|黄埔|从化|增城|福田|罗湖|南山|宝安|龙岗|龙华|朝阳|海淀|东城|西城|长期|常用|明天|平时|成立|时间|文化|金融|"
    r"石头|云计算|国际|信息|和我|和他|和她|同学|同事|同意|都是|阳台|门店|连锁|宁可|全部|全家|原来|原先|由我|由他|由她|来做|"
    r"来当|万块|钱的|钱款|于是|包括|利润|关于|应该|华南|华北|商务|商贸|商行|车行|花店|米粉|沙县|兰州|广州|深圳|北京|上海|杭州|成都)"
)


_NOT_SURNAME = set("万和由都时全应原连成明文安方司商宁那来信相门战居元展智计国平富公利但干于初云海花宣修强权位满楼南班")


def loose_name(raw: str) -> str | None:
    """A name right after 我叫 / 老婆叫 (any 2-3 characters, for surnames the list lacks): 区美华, 萧然."""
    name = _trim_name(raw)[:3]
    if len(name) < 2 or name[0] in "两俩一二三四五几个他她我你们都也就来出在和跟的是叫一起" or _NOT_NAME.match(name):
        return None
    return name if not any(c in _AFTER for c in name) else None


def _trim_name(raw: str) -> str:
    for i in range(2, len(raw) + 1):
        if i < len(raw) and raw[i] in _AFTER:
            return raw[:i]
    return raw


# one character that may sit glued to a name in jieba's tokens (叫梁 美玲): the name still starts after it
_GLUE = set("叫是和跟与同给让由找请把被及或系为")


def _inside_word(tokens: list[tuple[str, int, int]], start: int) -> bool:
    """Whether ``start`` falls inside a word of the sentence (资金大概 → 金 is inside 资金): not a name's start."""
    for word, s, e in tokens:
        if s < start < e:
            prefix = word[: start - s]
            return not (len(prefix) == 1 and prefix in _GLUE)
        if s >= start:
            break
    return False


def _tokens(text: str) -> list[tuple[str, int, int]]:
    from assistant.lexical import _jieba

    return list(_jieba().tokenize(text))


def chinese_names(text: str) -> list[Found]:
    """Surname-led Chinese person names (2-3 characters, 4 with a compound surname), starting at a word boundary."""
    out: list[Found] = []
    tokens: list[tuple[str, int, int]] | None = None
    for m in _NAME.finditer(text):
        raw = m.group(0)
        if raw[0] in _NOT_SURNAME or (m.start() > 0 and re.match(rf"[\d{_CN_NUM}市省区县镇街路]", text[m.start() - 1])):
            continue
        if m.start() > 0:
            tokens = tokens if tokens is not None else _tokens(text)
            if _inside_word(tokens, m.start()):
                continue
        name = _trim_name(raw + text[m.end() : m.end() + 1])[: len(raw)]
        if len(name) < 2 or _NOT_NAME.match(name) or any(c in _AFTER for c in name[1:]):
            continue
        out.append(Found(name, m.start(), m.start() + len(name)))
    return out


_EN_NAME = re.compile(r"\b([A-Z][a-z]{1,10}(?:\s[A-Z][a-z]{1,10}){1,2})\b")
_EN_STOP = {
    "I",
    "My",
    "The",
    "We",
    "He",
    "She",
    "Our",
    "Guangzhou",
    "Shenzhen",
    "Beijing",
    "Shanghai",
    "Tianhe",
    "District",
    "Road",
    "Street",
    "Company",
    "Limited",
    "Ltd",
    "Yes",
    "No",
    "Hello",
    "Hi",
    "Please",
    "Thanks",
    "Thank",
    "And",
    "RMB",
    "China",
    "Chinese",
    "Haizhu",
    "Yuexiu",
    "Futian",
    "Nanshan",
    "Chaoyang",
    "Haidian",
    "Long",
    "Term",
}


def english_names(text: str) -> list[Found]:
    out = []
    for m in _EN_NAME.finditer(text):
        words = m.group(1).split()
        while words and words[0] in _EN_STOP:
            words = words[1:]
        while words and words[-1] in _EN_STOP:
            words = words[:-1]
        if len(words) >= 2:
            name = " ".join(words)
            start = m.start() + m.group(1).index(name)
            out.append(Found(name, start, start + len(name)))
    return out


# --- addresses ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Place:
    code: str | None
    full: str  # province + city + county + the rest as typed (empty when only a district was named)
    district: str
    candidates: tuple[str, ...] = ()


_ADDR_DETAIL = re.compile(
    r"\d+\s*(?:号|室|楼|栋|座|层|单元|铺|房)|[号室栋座层]\d|No\.|Room|\b\d+\b.*(?:road|street|rd|st)\b", re.I
)
_ADDR_CUT = re.compile(
    r"[，,。；;！!？?\s]|(?:开(?:个|家|间|一|店|公司|了|设)|注册|经营|办|做|的公司|的店|注册资本|我叫|电话)"
)


@lru_cache(maxsize=2)
def _county_names(data_dir: Path) -> dict[str, list[str]]:
    from assistant.approval.address import load_divisions

    out: dict[str, list[str]] = {}
    for c in load_divisions(data_dir).counties.values():
        for name in {c.name, re.sub(r"(?:区|县|市|旗)$", "", c.name)}:
            if len(name) >= 2:
                out.setdefault(name, []).append(c.code)
    return out


@lru_cache(maxsize=2)
def _pinyin_counties(data_dir: Path) -> dict[str, list[str]]:
    from pypinyin import lazy_pinyin

    from assistant.approval.address import load_divisions

    out: dict[str, list[str]] = {}
    for c in load_divisions(data_dir).counties.values():
        if c.name.endswith(("区", "县")) and len(c.name) >= 3:
            out.setdefault("".join(lazy_pinyin(c.name[:-1])), []).append(c.code)
    return out


def _compose(parsed: dict[str, object]) -> str:
    prov, city, dist = str(parsed["province"]), str(parsed["city"]), str(parsed["district"])
    head = prov + (city if city != prov else "") + dist
    return head + str(parsed["street"]) + str(parsed["detail"])


def address(text: str, data_dir: Path, *, asked: bool = False, city_hint: str = "") -> Place | None:
    """A full address (province → detail, with its county code) or a bare district (在天河 → 440106)."""
    s = re.sub(r"\s+", "", text)
    starts = {0}
    starts |= {m.end() for m in _ADDR_CUE.finditer(s)}
    starts |= {m.start() for m in re.finditer(r"(?<![\u4e00-\u9fff])[\u4e00-\u9fff]", s)}
    starts |= {m.end() for m in re.finditer(r"[，,。；;：:]", s)}
    names = _county_names(data_dir)
    best: Place | None = None
    for st in sorted(starts):
        piece = s[st : st + 80]
        cut = _ADDR_CUT.search(piece, 2)
        chunk = piece[: cut.start()] if cut else piece
        if len(chunk) < 2:
            continue
        parsed = parse_address(
            (city_hint + chunk) if city_hint and not chunk.startswith(city_hint) else chunk, data_dir
        )
        code = parsed.get("district_code")
        if not code and not parsed.get("district_candidates"):
            continue
        detail = _ADDR_DETAIL.search(str(parsed["street"]) + str(parsed["detail"]))
        full = _compose(parsed) if code and detail else ""
        place = Place(
            code if isinstance(code, str) else None,
            full,
            str(parsed["district"]),
            tuple(parsed.get("district_candidates") or ()),  # type: ignore[arg-type]
        )
        if best is None or (place.full and not best.full) or (place.code and not best.code):
            best = place
    if best is not None:
        return best
    for m in _ADDR_CUE.finditer(s):  # 在天河开 / 喺旺角: a short county name after a place cue
        chunk = s[m.end() : m.end() + 6]
        short = next((chunk[:n] for n in range(min(6, len(chunk)), 1, -1) if chunk[:n] in names), "")
        if short:
            codes = names[short]
            return Place(codes[0] if len(codes) == 1 else None, "", short, tuple(codes))
    en = re.search(r"\b([A-Z][a-z]+)\s+(?:District|County)\b", text)
    if en:  # English: "Tianhe District" by the pinyin of county names
        codes = _pinyin_counties(data_dir).get(en.group(1).lower(), [])
        if codes:
            from assistant.approval.address import load_divisions

            name = load_divisions(data_dir).counties[codes[0]].name
            return Place(codes[0] if len(codes) == 1 else None, "", name, tuple(codes))
    short_msg = len(s) <= 8 and asked
    for m in re.finditer(r"[\u4e00-\u9fff]{2,5}", s):  # a bare county name: 天河区 / (answering) 天河
        word = m.group(0)
        for n in range(min(5, len(word)), 1, -1):
            for i in range(0, len(word) - n + 1):
                key = word[i : i + n]
                codes = names.get(key) or []
                if codes and (key.endswith(("区", "县")) or short_msg):
                    return Place(codes[0] if len(codes) == 1 else None, "", key, tuple(codes))
    return None


_ADDR_CUE = re.compile(
    r"(?:地址|住所|经营场所|场所|店面|铺面|店铺|铺头|办公室|位于|地点|设在|开在|放在|改成|改为|应该是|换成|在|喺|"
    r"address(?:is)?|locatedat|locatedin)[:：是为]?",
    re.I,
)


# --- enterprise names ---------------------------------------------------------------------------------------
_FULL_NAME = re.compile(
    r"([\u4e00-\u9fff（）()]{2,30}?(?:有限责任公司|股份有限公司|有限公司|个人独资企业|工作室|商行|经营部|服务部|中心|店|馆|厂|坊))"
)
_NAME_CUE = re.compile(
    r"(?:(?:(?:公司|企业|店|个体户)?名(?:字|称)|公司名|企业名|店名|铺名|招牌|字号|取名|起名)(?:就|想|打算|准备|可以)?(?:叫做|叫|是|为|用|定为|[:：])?"
    r"|(?:(?:公司|企业|店|铺子?|个体户|工作室)(?:就|想|打算|准备)?|(?:就|想|打算|准备)|^|[，,。]\s*)叫做?|名为|名叫"
    r"|\b(?:called|named|(?<!my )(?<!My )name (?:is|will be))\s*[:：]?)\s*[“\"「『]?",
    re.I,
)
_TRADE = re.compile(r"[“\"「『]?([\u4e00-\u9fff]{2,6})[”\"」』]?")


def enterprise_name(text: str) -> tuple[str, bool] | None:
    """(name, full) after a naming cue: a full name (广州青禾软件有限公司) or a bare 字号 (青禾)."""
    for cue in _NAME_CUE.finditer(text):
        rest = text[cue.end() :]
        m = _FULL_NAME.match(rest)
        if m and len(m.group(1)) >= 5:
            return m.group(1).replace("(", "（").replace(")", "）"), True
        t = _TRADE.match(rest)
        if t:
            trade = re.split(r"[吧啊呀了的，。]", t.group(1))[0]
            if 2 <= len(trade) <= 4 and not re.search(r"什么|好吗|可以|还没|没想|不知", trade):
                return trade, False
    m = re.search(r"([\u4e00-\u9fff]{2,14}(?:有限责任公司|有限公司|个人独资企业))", text)
    if m:
        name = re.sub(r"^.*(?:叫做?|是|为|名称|名字)", "", m.group(1))
        if len(name) >= 6 and not re.search(r"^(?:一?[个家间])|成立|注册|准备|想|要|开|做|办|我", name):
            return name, True
    return None


# --- business scope -----------------------------------------------------------------------------------------
def scope(text: str, knowledge_dir: Path, lang: str = "zh") -> tuple[dict[str, list[str]], str | None] | None:
    """Standard scope items (一般项目 / 许可项目) for a description of the business, and the industry code of the
    best item, from the project's catalogue; English activity words are mapped to Chinese first. Enterprise names
    and addresses are left out of the description (青禾软件有限公司 says nothing about the scope)."""
    named = enterprise_name(text)
    if named is not None and named[1]:
        text = text.replace(named[0], "")
    text = PLACEHOLDER.sub("", text)
    text = re.sub(
        r"[\u4e00-\u9fff]{0,12}(?:省|市|区|县)[\u4e00-\u9fff\dA-Za-z]{0,20}?(?:\d+号|\d+室|\d+楼)[\dA-Za-z\u4e00-\u9fff\-]*",
        "",
        text,
    )
    words: list[str] = []
    spans: list[tuple[int, int]] = []
    for pat, zh in english_activities(knowledge_dir):
        for m in re.finditer(rf"\b(?:{pat})\b", text, re.I):
            if not any(a <= m.start() < b for a, b in spans):
                spans.append((m.start(), m.end()))
                words.append(zh)
    han = "".join(re.findall(r"[\u4e00-\u9fff，、]+", text)) if re.search(r"[\u4e00-\u9fff]{2}", text) else ""
    query = "，".join(dict.fromkeys([han, *words])).strip("，")
    if not query:
        return None
    hits = map_description(query, 4, knowledge_dir=knowledge_dir)
    if not hits:
        return None
    best = hits[0][1]
    keep = [w for w, s in hits if s >= 3.5 and s >= 0.45 * best]
    if not keep:
        return None
    items = _catalogue_items(knowledge_dir)
    out: dict[str, list[str]] = {"一般项目": [], "许可项目": []}
    for w in keep:
        out[items.get(w, ("一般项目", ()))[0]].append(w)
    codes = items.get(keep[0], ("", ()))[1]
    hinted = [c for pat, c in _industry_hints(knowledge_dir) if c in codes and re.search(pat, text, re.I)]
    return out, (hinted[0] if hinted else codes[0] if codes else None)


@lru_cache(maxsize=2)
def _catalogue_items(knowledge_dir: Path) -> dict[str, tuple[str, tuple[str, ...]]]:
    import yaml

    data = yaml.safe_load((knowledge_dir / "business_scope" / "catalogue.yaml").read_text(encoding="utf-8"))
    return {
        i["wording"]: (i.get("kind", "一般项目"), tuple(i.get("industry_codes") or ())) for i in data.get("items", [])
    }


@lru_cache(maxsize=2)
def _industry_hints(knowledge_dir: Path) -> tuple[tuple[str, str], ...]:
    import yaml

    data = yaml.safe_load((knowledge_dir / "forms" / "industry_hints.yaml").read_text(encoding="utf-8"))
    return tuple((str(k), str(v)) for k, v in (data or {}).items())
