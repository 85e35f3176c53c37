"""Message → proposals for the draft's fields, by the deterministic parsers. People the message mentions
(我, 同学, 林浩) are resolved against the draft (created when new); values are proposals the policy applies."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from assistant.filling import parsers as p
from assistant.filling.draft import FormDraft, PersonRec
from assistant.guardrails.pii import PLACEHOLDER

ALIASES = (
    "阿妈|阿爸|老妈|老爸|老豆|家姐|细佬|阿哥|阿姐|女朋友|男朋友|未婚妻|未婚夫|舅舅|叔叔|姑姑|阿姨|堂哥|堂弟|表姐|侄子|外甥|mother|father|mom|dad|"
    "cousin|uncle|aunt|同学|朋友|老婆|老公|爱人|太太|先生|丈夫|妻子|哥哥|弟弟|姐姐|妹妹|表哥|表弟|表姐|表妹|合伙人|同事|老乡|爸爸|妈妈|父亲|母亲|儿子|"
    "女儿|爸|妈|classmate|friend|wife|husband|partner|brother|sister|colleague"
)
_ASIDE = re.compile(
    rf"(?P<who>我的?(?:{ALIASES})?|(?:{ALIASES}))\s*[（(]\s*(?P<name>[\u4e00-\u9fff]{{2,4}}?)"
    r"\s*(?:[，,、；;:：]\s*(?P<rest>[^（）()]*?))?\s*[）)]"
)


def _unfold_asides(t: str) -> str:
    """我（吴刚，身份证…）出资70万 → 我叫吴刚，吴刚身份证…，吴刚出资70万: a name in brackets after 我 / an alias."""

    def unfold(m: re.Match[str]) -> str:
        name = p.loose_name(m.group("name"))
        if name is None or name != m.group("name") or not re.match(rf"(?:{p.SURNAMES})", name):  # 我（本人）stays
            return m.group(0)
        rest = (m.group("rest") or "").strip()
        return f"{m.group('who')}叫{name}，" + (f"{name}{rest}，" if rest else "") + name

    return _ASIDE.sub(unfold, t)


_ROLE_WORDS = [
    ("legal_rep", r"法定代表人|法人代表|法人|legal rep(?:resentative)?"),
    ("director", r"执行董事|董事|executive director|director"),
    ("manager", r"总经理|经理|general manager|manager"),
    ("supervisor", r"监事|supervisor"),
    ("investor", r"投资人|出资人|investor"),
    ("operator", r"经营者|operator|owner"),
    ("shareholder", r"股东|shareholders?"),
]
_CORRECTION = re.compile(
    r"不对|不是|错了|搞错|说错|写错|改成|改为|改一下|换成|更正|应该是|其实是|纠正|唔啱|讲错|\bactually\b|correction|"
    r"\bI meant\b|\bchange\b.*\bto\b|\bnot\b.+\bbut\b|\bsorry\b|\binstead\b",
    re.I,
)
_WHY = re.compile(
    r"为什么|为啥|干嘛|干什么用|做什么用|有什么用|一定要|必须.*吗|非要|点解|\bwhy\b|what .* for\b|do you need", re.I
)
_YES = re.compile(
    r"^\s*(?:对|是的?|没错|嗯+|好的?|可以|行|确认|就这样|以后面为准|以新的为准|新的|yes|yeah|yep|correct|right|ok(?:ay)?)(?![A-Za-z])",
    re.I,
)
_NO = re.compile(r"^\s*(?:不是|不对|不|没有|保持|还是原来|以前面为准|原来的|no|nope|keep)(?![A-Za-z])", re.I)
_CANTONESE = [
    ("唔啱", "不对"),
    ("卖衫", "卖衣服"),
    ("啲衫", "衣服"),
    ("，系", "，是"),
    (",系", ",是"),
    ("佢哋", "他们"),
    ("佢", "他"),
    ("咗", ""),
    ("嘅", "的"),
    ("喺", "在"),
    ("唔係", "不是"),
    ("唔系", "不是"),
    ("係", "是"),
    ("我系", "我是"),
    ("冇", "没有"),
    ("唔", "不"),
    ("啲", "些"),
    ("畀", "给"),
    ("同埋", "和"),
    ("我哋", "我们"),
    ("间铺", "个店"),
    ("开间", "开个"),
    ("揾", "找"),
    ("做嘢", "做事"),
]
_FIELD_WORDS = [
    ("supervisor", r"监事|supervisor"),
    ("person.id_number", r"身份证|证件|\bID\b|identity"),
    ("phone", r"电话|手机|phone"),
    ("registered_capital_wan", r"注册资本|资本|资金|capital"),
    ("business_scope", r"经营范围|业务范围|scope"),
    ("operating_period", r"营业期限|经营期限|期限|period"),
    ("legal_rep", r"法定代表人|法人|legal rep"),
    ("domicile", r"住所|地址|address"),
    ("proposed_name", r"名称|名字|字号|\bname\b"),
    ("industry_code", r"行业代码|industry"),
    ("composition", r"组成形式|家庭经营|个人经营|composition"),
]


@dataclass
class Proposal:
    field: str
    value: Any
    confidence: float = 0.95
    typed: bool = True


@dataclass
class Problem:
    field: str
    zh: str
    en: str


@dataclass
class Extraction:
    proposals: list[Proposal] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    why: list[str] = field(default_factory=list)  # fields the applicant asked the reason for
    correction: bool = False
    yes: bool = False
    no: bool = False
    name_trade: str | None = None  # a bare 字号 (青禾) to compose a full name from
    people_changed: bool = False  # someone became a shareholder (股东是…) without a field value

    def add(self, key: str, value: Any, confidence: float = 0.95, typed: bool = True) -> None:
        self.proposals = [x for x in self.proposals if x.field != key]
        self.proposals.append(Proposal(key, value, confidence, typed))

    @property
    def empty(self) -> bool:
        return not (self.proposals or self.problems or self.name_trade or self.people_changed)


def normalise(text: str) -> str:
    out = text
    for a, b in _CANTONESE:
        out = out.replace(a, b)
    out = re.sub(r"^系", "是", out)
    return re.sub(r"(地址|住所|名|铺头|铺|店|监事|法人|我|他|她|就|都|电话|号码|身份证|经营者|投资人)系", r"\1是", out)


class Extractor:
    def __init__(self, data_dir: Path, knowledge_dir: Path) -> None:
        self.data_dir = data_dir
        self.knowledge_dir = knowledge_dir

    def __call__(self, text: str, draft: FormDraft, vault: dict[str, str], lang: str = "zh") -> Extraction:
        t = _unfold_asides(normalise(text))
        ex = Extraction(correction=bool(_CORRECTION.search(t)))
        asked = set(draft.asked)
        ex.yes = bool(_YES.match(t)) and not ex.correction
        ex.no = bool(_NO.match(t))
        if _WHY.search(t):
            ex.why = [k for k, pat in _FIELD_WORDS if re.search(pat, t, re.I)] or [a.split(":")[0] for a in draft.asked]
            return ex  # a question about a field, not an answer
        self._entity(t, draft, ex)
        named = p.enterprise_name(t)  # 朱丽便利店 names a shop, not a person called 朱丽便
        tp = t.replace(named[0], "□" * len(named[0])) if named and named[1] else t
        self._known = [n for n in (draft.name_of(x.key) for x in draft.people) if n]
        self._people(tp, draft, ex, asked)
        self._amounts(tp, draft, ex, asked)
        self._contacts(tp, draft, ex, vault, asked)
        self._place(t, draft, ex, asked)
        self._name(t, draft, ex, asked)
        self._scope(t, draft, ex, asked, lang)
        self._deadline(t, draft, ex)
        per = p.period(t, asked="operating_period" in asked)
        if per:
            ex.add("operating_period", per)
        et = next((x.value for x in ex.proposals if x.field == "entity_type"), draft.get("entity_type"))
        if et == "个体工商户" or "composition" in asked:
            comp = p.composition(t, asked="composition" in asked)
            if comp:
                ex.add("composition", comp, 0.9)
        return ex

    # --- entity type -----------------------------------------------------------------------------------
    def _entity(self, t: str, draft: FormDraft, ex: Extraction) -> None:
        kept = re.sub(
            r"(?:不是|不想|不要|不开|不办|不做|而不是|不是要|not an?|rather than|instead of)"
            r"\s*(?:开|办|做|注册)?(?:一?[个家间])?"
            r"[^，。,.]{0,6}?(?:个人独资企业|个体工商户|个体户|公司|sole proprietorship|individual business|company)",
            "",
            t,
            flags=re.I,
        )
        et = p.entity_type(kept)
        if et == "有限责任公司" and re.search(r"(?:个体户|个人独资企业|店).{0,3}(?:名字|名称)", kept):
            et = None
        if et:
            ex.add("entity_type", et)

    # --- people and roles ------------------------------------------------------------------------------
    def _names(self, t: str) -> list[p.Found]:
        known = [
            p.Found(n, m.start(), m.end()) for n in getattr(self, "_known", []) for m in re.finditer(re.escape(n), t)
        ]
        found = known + [
            f for f in p.chinese_names(t) + p.english_names(t) if not any(k.start <= f.start < k.end for k in known)
        ]
        for m in re.finditer(
            rf"(?:我叫|我是|我姓名是|我的名字(?:是|叫)|本人|姓名[:：]?|(?:{ALIASES})(?:叫|是|名叫))\s*([\u4e00-\u9fff]{{2,4}})",
            t,
        ):
            name = p.loose_name(m.group(1))
            if name and not any(f.start <= m.start(1) < f.end for f in found):
                found.append(p.Found(name, m.start(1), m.start(1) + len(name)))
        return sorted(found, key=lambda f: f.start)

    def _ref_pattern(self, names: list[p.Found]) -> str:
        name_re = "|".join(sorted({re.escape(n.value) for n in names}, key=len, reverse=True)) or "(?!x)x"
        alias = rf"(?:(?:我的?|my)\s*)?(?:{ALIASES})"
        return (
            rf"(?:{alias}\s*(?:叫|是|,|，)?\s*(?:{name_re})|{name_re}|{alias}|我自己|本人|我|他|她|"
            r"\bI\b|\bme\b|\bmyself\b|\bhe\b|\bshe\b|\bhim\b|\bher\b)"
        )

    def _ref(self, draft: FormDraft, token: str, create: bool = True) -> PersonRec | None:
        """The person a token refers to: 我 / I, 他 / 她, an alias (同学), a name, or alias + name (我弟弟黄志伟)."""
        tok = (
            re.sub(r"^(?:我的?|my)\s*", "", token.strip(), flags=re.I)
            if re.search(ALIASES, token, re.I)
            else token.strip()
        )
        alias_m = re.match(rf"({ALIASES})\s*(?:叫|是|,|，)?\s*(.*)$", tok, re.I)
        alias, rest = (alias_m.group(1).lower(), alias_m.group(2).strip()) if alias_m else ("", tok)
        if not alias and rest in ("我", "我自己", "本人", "自己", "I", "me", "myself", "i"):
            return draft.self_person() or (draft.add_person(alias="我", is_self=True) if create else None)
        if not alias and rest.lower() in ("他", "她", "he", "she", "him", "her"):
            others = [x for x in draft.people if not x.is_self]
            return others[-1] if others else (draft.add_person(alias=rest) if create else None)
        if alias and not rest:
            found = draft.by_alias(alias)
            return found or (draft.add_person(alias=alias) if create else None)
        found = draft.find_person(rest)
        if found is None and alias:
            cand = draft.by_alias(alias)
            if cand is not None and not draft.name_of(cand.key):
                found = cand
        if found is None:
            if not create:
                return None
            found = draft.add_person()
        if not draft.name_of(found.key):
            draft.fields[f"people.{found.key}.name"] = _fv(rest)
        if alias and alias not in found.aliases:
            found.aliases.append(alias)
        return found

    def _people(self, t: str, draft: FormDraft, ex: Extraction, asked: set[str]) -> None:
        names = self._names(t)
        ref = self._ref_pattern(names)
        refs = rf"{ref}(?:\s*(?:、|和|跟|与|及|以及|同|,|，|and|&)\s*{ref})*"
        for m in re.finditer(
            r"(?:我叫|我是|我姓名是|我的名字(?:是|叫)|(?:我|本人)[^，。,]{0,4}[，,]\s*名字叫|本人|我[，,(（]"
            r"|my name is|i am|i'm|\bme\s*[,(]|\bI\s*[,(])"
            r"\s*([\u4e00-\u9fff]{2,4}|[A-Z][a-z]+ [A-Z][a-z]+)",
            t,
            re.I,
        ):
            name = next((n.value for n in names if n.start == m.start(1)), None)
            if name:
                self._name_for(draft, ex, self._ref(draft, "我"), name)
        for m in re.finditer(
            rf"(?:(?:我|我的|my)\s*)?({ALIASES})\s*(?:叫|是|名字叫|,|，|is|named|called)?\s*", t, re.I
        ):
            name = next((n.value for n in names if n.start == m.end()), None)
            if name:
                person = self._ref(draft, f"{m.group(1)}{name}")
                self._name_for(draft, ex, person, name)
        for m in re.finditer(r"(?:他|她|\bhe\b|\bshe\b)\s*(?:叫|是|名字叫|is called|'s name is)\s*", t, re.I):
            name = next((n.value for n in names if n.start == m.end()), None)
            if name:
                self._name_for(draft, ex, self._ref(draft, "他"), name)
        for m in re.finditer(rf"(?:跟|和|与|同|with|and)\s*(?:我的?|my)?\s*({ALIASES})", t, re.I):
            if not any(n.start == m.end() or n.start == m.end() + 1 for n in names):
                self._ref(draft, m.group(1).lower())
        if re.search(
            r"全部由?我(?:一个人)?出|全部我出|都由?我出|我一个人出|我自己出|一个人出资|一人(?:有限)?公司|独资|一人股东"
            r"|股东(?:就|只有)?(?:是)?我(?:一个|本人|自己)|就是我本人"
            r"|all from me|only shareholder|sole shareholder|I am the (?:only|sole)",
            t,
            re.I,
        ):
            me = self._ref(draft, "我")
            if me is not None and draft.get("entity_type") != "个人独资企业":
                me.shareholder = True
                ex.people_changed = True
        self._roles(t, draft, ex, refs, ref)
        # bare answers to a question that asked for a role or a name
        if names and len(names) == 1 and len(t) <= len(names[0].value) + 8:
            for a in draft.asked:
                if a in ("legal_rep", "supervisor", "manager", "investor", "operator") and not any(
                    x.field == a for x in ex.proposals
                ):
                    ex.add(a, self._ref(draft, names[0].value).key)  # type: ignore[union-attr]
                elif a.startswith("people.") and a.endswith(".name"):
                    ex.add(a, names[0].value)
        # partners who put money in: 我跟同学两个人出钱 / 合伙 / 一起出资
        if re.search(r"出钱|出资|合伙|一起开|一起搞|partners?|co-?found|together", t, re.I) and draft.get(
            "entity_type"
        ) in (None, "有限责任公司"):
            if (
                re.search(r"我|\bI\b|\bwe\b", t, re.I)
                and draft.people
                and not re.search(r"个体|个人独资|独资|family", t)
            ):
                self._ref(draft, "我")
            for x in draft.people:
                mentioned = [*x.aliases, draft.name_of(x.key) or "\0"]
                if any(a and a in t for a in mentioned) or x.is_self:
                    x.shareholder = True
                    ex.people_changed = True

    def _roles(self, t: str, draft: FormDraft, ex: Extraction, refs: str, ref: str) -> None:
        words = "|".join(w for _, w in _ROLE_WORDS)
        role_list = rf"(?:{words})(?:\s*(?:和|兼|及|、|与|并|/|and|&)\s*(?:{words}))*"
        verbs = r"(?:兼任|兼|当|做|担任|任|作为|出任|是|'m|am|will be|'ll be|would be|be|as|serve as|act as|is)"
        pats = [
            rf"(?P<roles>{role_list})\s*(?:都|就)?(?:是|由|为|定为|让|给|交给|请|选|找|系|is|are|will be|:|：)?"
            rf"\s*(?P<refs>{refs})",
            rf"(?P<refs>{refs})\s*(?:来|就|也|还|同时|will|would|'ll)?\s*{verbs}\s*(?:公司的?|the\s+)?(?P<roles>{role_list})",
        ]
        assigned: list[tuple[int, PersonRec]] = []  # (where an assignment ended, its last person)
        spans: list[tuple[int, int]] = []
        for pat in pats:
            for m in re.finditer(pat, t, re.I):
                if any(a <= m.start() < b for a, b in spans):
                    continue
                lead = t[max(0, m.start() - 2) : m.start()] + t[m.start() : m.start("roles")]
                if re.search(r"不|没|\bnot\b", lead):
                    continue
                spans.append((m.start(), m.end()))
                people = [self._ref(draft, r.group(0)) for r in re.finditer(ref, m.group("refs"), re.I)]
                self._assign(draft, ex, m.group("roles"), [x for x in people if x is not None])
                named = [x for x in people if x is not None]
                if named:
                    assigned.append((m.end(), named[-1]))
        # 也当监事 / 同时兼任经理: the person of the previous assignment
        for m in re.finditer(
            rf"(?:也|还|同时|并且?)\s*(?:兼任|兼|当|做|担任|任|是|为|作为|出任)\s*(?:公司的?)?(?P<roles>{role_list})", t
        ):
            before = [x for end, x in sorted(assigned, key=lambda a: a[0]) if end <= m.start()]  # the nearest one
            if before and not any(a <= m.start() < b for a, b in spans):
                self._assign(draft, ex, m.group("roles"), [before[-1]])

    def _assign(self, draft: FormDraft, ex: Extraction, roles: str, people: list[PersonRec]) -> None:
        for role, pat in _ROLE_WORDS:
            if not re.search(pat, roles, re.I):
                continue
            if (
                role == "director"
                and re.search(r"董事长|监事", roles)
                and not re.search(r"执行董事|(?<!监)董事(?!长)", roles)
            ):
                continue
            if role == "shareholder":
                for x in people:
                    if draft.get("entity_type") != "个人独资企业":
                        x.shareholder = True
                ex.people_changed = True
            elif people:
                ex.add(role, people[0].key)

    def _name_for(self, draft: FormDraft, ex: Extraction, person: PersonRec | None, name: str) -> None:
        if person is None:
            return
        other = draft.find_person(name)
        if other is not None and other.key != person.key:
            _merge(draft, keep=person, drop=other)
        if not draft.name_of(person.key):
            draft.fields[f"people.{person.key}.name"] = _fv(name)  # later parts of this message refer to it
        ex.add(f"people.{person.key}.name", name)

    # --- amounts: capital and contributions -----------------------------------------------------------
    def _amounts(self, t: str, draft: FormDraft, ex: Extraction, asked: set[str]) -> None:
        short = len(PLACEHOLDER.sub("", t)) <= 16
        bare = short and (
            bool(asked & {"registered_capital_wan"}) or any(a.endswith(".contribution_wan") for a in asked)
        )
        t = PLACEHOLDER.sub(lambda m: "□" * len(m.group(0)), t)  # no money inside [手机号1]
        found = p.amounts(t, bare_as_wan=bare)
        names = self._names(t)
        ref = self._ref_pattern(names)
        verb = r"(?:出资|出了|出|投资|投了|投入|投|拿出|拿|认缴|puts? in|invests?|contributes?|will put in|with|has)"
        claimed = set()
        sole = draft.get("entity_type") == "个人独资企业" or any(
            x.field == "entity_type" and x.value == "个人独资企业" for x in ex.proposals
        )
        for a in found:
            left = t[max(0, a.start - 20) : a.start]
            right = t[a.end : a.end + 14]
            if a.negative or a.wan <= 0:
                contribution = bool(re.search(r"出|投|invest|contribut|put", left[-12:], re.I)) and not re.search(
                    r"资本|capital", left, re.I
                )
                ex.problems.append(
                    Problem(
                        "person.contribution_wan" if contribution else "registered_capital_wan",
                        "金额必须大于零：注册资本和出资额不能是负数或零，请告诉我实际认缴的金额（万元）。",
                        "The amount must be above zero: capital and contributions cannot be negative or zero. "
                        "Please give the amount actually subscribed (in 万元).",
                    )
                )
                claimed.add(a.start)
                continue
            each = re.search(r"(?:各|每人|每个人|分别|一人)(?:各)?(?:出资?|投资?|认缴)?\s*$", left) or re.match(
                r"\s*each", right, re.I
            )
            m = _last(rf"(?P<ref>{ref})\s*(?:的|,|，)?\s*{verb}\s*了?\s*$", left, re.I)
            if each:
                holders = draft.shareholders()
                if holders:
                    for x in holders:
                        ex.add(f"people.{x.key}.contribution_wan", a.wan)
                else:
                    ex.add("each_wan", a.wan, typed=False)
                claimed.add(a.start)
            elif m is not None:
                person = self._ref(draft, m.group("ref"))
                if person is not None:
                    if sole:
                        ex.add("investor", person.key, 0.9)
                    else:
                        person.shareholder = True
                    ex.add(f"people.{person.key}.contribution_wan", a.wan)
                    claimed.add(a.start)
        for a in found:
            if a.start in claimed:
                continue
            left = t[max(0, a.start - 12) : a.start]
            if (
                re.search(
                    r"注册资本|注册资金|资金数额|资本|一共|总共|合计|总投资|投资总额|资金|本钱|出资额|出资"
                    r"|capital|in total|total|invest",
                    left,
                    re.I,
                )
                or bare
            ):
                if sole and not re.search(r"注册资本|capital", left, re.I):
                    inv = draft.get("investor") or (draft.self_person() or self._ref(draft, "我")).key  # type: ignore[union-attr]
                    ex.add(f"people.{inv}.contribution_wan", a.wan, 0.95 if a.explicit_unit else 0.7)
                    ex.add("registered_capital_wan", a.wan, 0.9)
                elif any(x.endswith(".contribution_wan") for x in asked) and not re.search(
                    r"注册资本|capital", left, re.I
                ):
                    key = next(x for x in draft.asked if x.endswith(".contribution_wan"))
                    ex.add(key, a.wan, 0.95 if a.explicit_unit else 0.7)
                else:
                    ex.add("registered_capital_wan", a.wan, 0.95 if a.explicit_unit else 0.7)
        for v, st, _en in p.percent(t):
            left = t[max(0, st - 10) : st]
            m = _last(rf"(?P<ref>{ref})\s*(?:占|持股|占股|持有|holds?|owns?)\s*(?:股份)?\s*$", left, re.I)
            cap = next(
                (x.value for x in ex.proposals if x.field == "registered_capital_wan"),
                draft.get("registered_capital_wan"),
            )
            if m is not None and cap:
                person = self._ref(draft, m.group("ref"))
                if person is not None:
                    person.shareholder = True
                    ex.add(f"people.{person.key}.contribution_wan", round(cap * v / 100, 4), 0.85)

    def _deadline(self, t: str, draft: FormDraft, ex: Extraction) -> None:
        """认缴出资期限: a date after 出资期限 / 缴足 / deadline applies to the named shareholder, else to all."""
        if not re.search(r"期限|缴足|缴清|实缴|到位|deadline|pay(?:ed)? (?:in|up)|by", t, re.I):
            return
        m = re.search(r"(20\d{2})\s*(?:-|/|年|\.)\s*(\d{1,2})\s*(?:-|/|月|\.)\s*(\d{1,2})", t)
        end = re.search(r"(20\d{2})\s*年?\s*(?:底|年底|年末|end)", t, re.I)
        if m:
            try:
                value = date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
            except ValueError:
                ex.problems.append(
                    Problem("person.subscription_deadline", "这个日期不存在，请核对。", "That date does not exist.")
                )
                return
        elif end:
            value = f"{end.group(1)}-12-31"
        else:
            return
        holders = draft.shareholders()
        named = [x for x in holders if (draft.name_of(x.key) or "\0") in t]
        for x in named or holders:
            ex.add(f"people.{x.key}.subscription_deadline", value)

    # --- phone and ID numbers --------------------------------------------------------------------------
    def _contacts(self, t: str, draft: FormDraft, ex: Extraction, vault: dict[str, str], asked: set[str]) -> None:
        phones = p.placeholders(t, vault, ("手机号", "固定电话"))
        if phones:
            ex.add("phone", phones[0].value)
        elif re.search(r"电话|手机|phone|mobile", t, re.I) or "phone" in asked:
            m = re.search(r"(?<![\d\[])(\d{7,13})(?![\d])", t)
            if m:
                ex.problems.append(
                    Problem(
                        "phone",
                        f"“{m.group(1)}”不是有效的电话号码：手机号是1开头的11位数字，座机请带区号（如020-12345678）。",
                        f"“{m.group(1)}” is not a valid phone number: a mobile number has 11 digits starting with 1; "
                        "a landline needs its area code (e.g. 020-12345678).",
                    )
                )
        ids = p.placeholders(t, vault, ("身份证号",))
        names = self._names(t)
        name_re = "|".join(re.escape(n.value) for n in names) or "(?!x)x"
        ref = rf"(?:{name_re}|我自己|我|他|她|{ALIASES}|\bmy\b|\bI\b|\bhis\b|\bher\b)"
        asked_ids = [a for a in draft.asked if a.endswith(".id_number")]
        unassigned = []
        for i, f in enumerate(ids):
            left = t[max(0, f.start - 16) : f.start]
            if i > 0:
                left = left[max(0, len(left) - (f.start - ids[i - 1].end)) :]
            m = _last(ref, left, re.I)
            if m is not None:
                tok = {"my": "我", "his": "他", "her": "她"}.get(m.group(0).lower(), m.group(0))
                person = self._ref(draft, tok)
                if person is not None:
                    ex.add(f"people.{person.key}.id_number", f.value)
                    continue
            unassigned.append(f)
        targets = [a for a in asked_ids if not any(x.field == a for x in ex.proposals)]
        if not targets:  # no question pending: the people still lacking a number, in the form's order
            targets = [
                f"people.{x.key}.id_number" for x in draft.involved() if not draft.get(f"people.{x.key}.id_number")
            ]
        for f, key in zip(unassigned, targets, strict=False):
            ex.add(key, f.value, 0.9)
        for zh, en, _num, pos in p.bad_ids(t):
            m = _last(ref, t[max(0, pos - 16) : pos], re.I)
            person = self._ref(draft, {"my": "我"}.get(m.group(0).lower(), m.group(0)), create=False) if m else None
            who = draft.who(person.key, "zh") if person else ""
            who_en = draft.who(person.key, "en") if person else ""
            ex.problems.append(
                Problem("person.id_number", f"{who}{'：' if who else ''}{zh}", f"{who_en}{': ' if who_en else ''}{en}")
            )

    # --- address ---------------------------------------------------------------------------------------
    def _place(self, t: str, draft: FormDraft, ex: Extraction, asked: set[str]) -> None:
        et = next((x.value for x in ex.proposals if x.field == "entity_type"), None) or draft.get("entity_type")
        field_key = "business_premises" if et == "个体工商户" else "domicile"  # 个体户吧，…地址… in one message
        is_asked = bool(asked & {"domicile", "business_premises"})
        place = p.address(t, self.data_dir, asked=is_asked, city_hint="")
        old = draft.get(field_key)
        street = re.search(
            r"[\u4e00-\u9fff]{1,12}(?:路|街|大道|巷|道|村|里)[\u4e00-\u9fff]{0,3}\d+号[\dA-Za-z\u4e00-\u9fff\-]*", t
        )
        if (place is None or not place.full) and old and street and (is_asked or ex.correction):
            d_name = p.address(old, self.data_dir)
            if d_name is not None and d_name.full:
                head = old[: old.index(d_name.district) + len(d_name.district)] if d_name.district in old else ""
                if head:
                    ex.add(field_key, head + re.sub(r"^(?:是|系|在|改成|改为|应该是|换成)", "", street.group(0)))
                    return
        if place is None:
            return
        if place.code is None and place.candidates:
            if is_asked or not draft.get("domicile_district_code"):
                from assistant.approval.address import load_divisions

                d = load_divisions(self.data_dir)
                options = "、".join(
                    f"{d.city_name(c)}{d.counties[c].name}" for c in place.candidates[:4] if c in d.counties
                )
                ex.problems.append(
                    Problem(
                        field_key,
                        f"“{place.district}”在多个城市都有（{options}），请带上城市名告诉我详细地址。",
                        f"There is more than one “{place.district}” ({options}); please include the city.",
                    )
                )
            return
        if place.code:
            ex.add("domicile_district_code", place.code, typed=bool(place.full) or is_asked)
        if place.full:
            ex.add(field_key, place.full)
        elif is_asked:
            ex.problems.append(
                Problem(
                    field_key,
                    "地址需要写到门牌号（路名和号数，如“体育西路1号501室”），这样才能确定住所。",
                    "The address needs the street and number (e.g. 体育西路1号501室).",
                )
            )

    # --- enterprise name -------------------------------------------------------------------------------
    def _name(self, t: str, draft: FormDraft, ex: Extraction, asked: set[str]) -> None:
        found = p.enterprise_name(t)
        if found is None and "proposed_name" in asked:
            m = re.fullmatch(r"\s*[“\"「]?([\u4e00-\u9fff（）]{2,30})[”\"」]?\s*[吧啊。！!]?\s*", t)
            if m and not re.search(r"不|没|随便|还", m.group(1)):
                found = (
                    m.group(1),
                    m.group(1).endswith(("公司", "店", "工作室", "商行", "中心", "馆", "部", "厂", "企业")),
                )
        if found is None:
            return
        name, full = found
        if not full and any(x.field.endswith(".name") and x.value == name for x in ex.proposals):
            return  # 我本人，名字叫刘晨: a person's name, not a 字号
        if full:
            ex.add("proposed_name", name)
        else:
            ex.name_trade = name

    # --- business scope --------------------------------------------------------------------------------
    def _scope(self, t: str, draft: FormDraft, ex: Extraction, asked: set[str], lang: str) -> None:
        cue = re.search(
            r"做|卖|经营|主营|业务|生意|开[个家间一]?|搞|搞个|服务|范围|开发|设计|维修|批发|零售|餐|店|sell|run|open|build|do|make|"
            r"business|shop|store|service|software|app",
            t,
            re.I,
        )
        if (
            draft.get("business_scope")
            and "business_scope" not in asked
            and not re.search(r"经营范围|还要|也要|另外|顺便|加上|再加|also|as well|scope", t, re.I)
        ):
            return
        if not cue and "business_scope" not in asked and draft.get("business_scope"):
            return
        found = p.scope(t, self.knowledge_dir, lang)
        if found is None:
            return
        items, code = found
        old = draft.get("business_scope")
        if old and re.search(r"还要|也要|另外|顺便|加上|再加|also|as well", t, re.I):
            items = {k: list(dict.fromkeys([*old.get(k, []), *items.get(k, [])])) for k in ("一般项目", "许可项目")}
            code = draft.get("industry_code") or code
        ex.add("business_scope", items, 0.85)
        if code:
            ex.add("industry_code", code, 0.8, typed=False)


def _last(pattern: str, text: str, flags: int = 0) -> re.Match[str] | None:
    """The last match of ``pattern`` in ``text`` (the reference nearest to what follows it)."""
    found = None
    for found in re.finditer(pattern, text, flags):  # noqa: B007
        pass
    return found


def _fv(name: str) -> Any:
    from assistant.filling.draft import FieldValue

    return FieldValue(value=name, source="pending", confidence=0.9)


def _merge(draft: FormDraft, *, keep: PersonRec, drop: PersonRec) -> None:
    """Two records are one person (林浩 was named before we knew he is 同学): move fields and roles to ``keep``."""
    for k in list(draft.fields):
        if k.startswith(f"people.{drop.key}."):
            tail = k.split(".", 2)[2]
            draft.fields.setdefault(f"people.{keep.key}.{tail}", draft.fields[k])
            del draft.fields[k]
    for r in ("legal_rep", "supervisor", "manager", "investor", "operator", "director"):
        fv = draft.fields.get(r)
        if fv is not None and fv.value == drop.key:
            fv.value = keep.key
    keep.shareholder = keep.shareholder or drop.shareholder
    keep.aliases = list(dict.fromkeys([*keep.aliases, *drop.aliases]))
    draft.people = [x for x in draft.people if x.key != drop.key]
