"""Compose 公司章程 (articles of association) clause by clause from an Application, per 公司法 (2023 revision).

Every clause carries its legal basis (article numbers checked against data/laws/公司法(2023-12-29).md). Content the
application does not give is never invented: it is written as a ``PENDING`` marker (待申请人确认) for the applicant
to fill in or confirm. Mandatory items follow 第四十六条 (有限责任公司) and 第九十五条 (股份有限公司); the checklist
is data/articles_of_association/aoa_required_items_company_law_2023.json.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from assistant.approval.model import Application, Director, Shareholder

PENDING = "待申请人确认"
_CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 21 → 二十一, 105 → 一百零五 (clause numbering, n < 1000)."""
    if n < 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _CN_DIGITS[n // 10] + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    rest = n % 100
    head = _CN_DIGITS[n // 100] + "百"
    if rest == 0:
        return head
    if rest < 10:
        return head + "零" + _CN_DIGITS[rest]
    return head + (_CN_DIGITS[rest // 10] + "十" + (_CN_DIGITS[rest % 10] if rest % 10 else ""))


def basis(*articles: int | str) -> str:
    """依据《公司法》第四十六条、第四十七条: ints become Chinese numerals, strings are kept as given."""
    parts = [a if isinstance(a, str) else f"第{cn_number(a)}条" for a in articles]
    return "依据《公司法》" + "、".join(parts)


@dataclass
class Clause:
    paragraphs: list[str]
    basis: str = ""
    pending: bool = False  # some content awaits the applicant's confirmation
    table: list[list[str]] | None = None  # first row is the header
    number: str = ""


@dataclass
class Chapter:
    title: str
    clauses: list[Clause] = field(default_factory=list)


@dataclass
class Articles:
    title: str
    entity_type: str
    chapters: list[Chapter]
    signatories: list[str]
    pending_count: int = 0


def _p(label: str) -> str:
    return f"【{PENDING}：{label}】"


def _val(value: object, label: str) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return _p(label)
    return str(value)


def fmt_wan(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:g}"


def _has_pending(texts: list[str], table: list[list[str]] | None = None) -> bool:
    cells = [c for row in table or [] for c in row]
    return any(PENDING in t for t in [*texts, *cells])


def _clause(paragraphs: list[str], b: str, table: list[list[str]] | None = None) -> Clause:
    return Clause(paragraphs=paragraphs, basis=b, pending=_has_pending(paragraphs, table), table=table)


def _scope_text(app: Application) -> str:
    s = app.business_scope
    if s is None or not (s.一般项目 or s.许可项目):
        return _p("经营范围")
    parts = []
    if s.一般项目:
        parts.append("一般项目：" + "；".join(s.一般项目) + "。")
    if s.许可项目:
        parts.append(
            "许可项目：" + "；".join(s.许可项目) + "（依法须经批准的项目，经相关部门批准后方可开展经营活动）。"
        )
    return "".join(parts)


def _five_year_limit(app: Application) -> date | None:
    if not app.application_date:
        return None
    try:
        d = date.fromisoformat(app.application_date)
        return d.replace(year=d.year + 5) if not (d.month == 2 and d.day == 29) else date(d.year + 5, 2, 28)
    except ValueError:
        return None


def _names(people: list[Shareholder]) -> str:
    names = [p.name for p in people if p.name]
    return "、".join(names) if names else _p("股东姓名或者名称")


def _is_chair(d: Director) -> bool:
    return bool(d.position and "董事长" in d.position)


def _officer_names(directors: list[Director]) -> str:
    return "、".join(d.name or _p("董事姓名") for d in directors)


def _org_is_board(app: Application) -> bool | None:
    """True = 董事会, False = 一名董事, None = not determinable from the application."""
    n = len(app.directors)
    if n >= 3:
        return True
    if n == 1:
        return False
    return None


def _governance(app: Application, jsc: bool) -> tuple[list[Clause], str, str]:
    """Board / director / manager / supervisor clauses. Returns (clauses, board_word, supervisor_word)."""
    out: list[Clause] = []
    board = _org_is_board(app)
    b_small = 128 if jsc else 75
    b_set = 120 if jsc else 67
    if board is True:
        chair = next((d.name for d in app.directors if _is_chair(d) and d.name), None)
        out.append(
            _clause(
                [
                    f"公司设董事会，成员{len(app.directors)}人：{_officer_names(app.directors)}。"
                    f"董事会设董事长一人，由{_val(chair, '董事长人选')}担任。"
                    + (
                        "董事长由董事会以全体董事的过半数选举产生。"
                        if jsc
                        else "董事长的产生办法：" + _p("董事长产生办法")
                    ),
                    "董事任期每届" + _p("任期年数（每届不得超过三年）") + "，任期届满，连选可以连任。",
                ],
                basis(b_set, 122 if jsc else 68, 70),
            )
        )
        word = "董事会"
    elif board is False:
        d = app.directors[0]
        out.append(
            _clause(
                [
                    f"公司规模较小（或股东人数较少），不设董事会，设董事一名，由{_val(d.name, '董事姓名')}担任，"
                    "行使《公司法》规定的董事会的职权。",
                    "董事任期每届" + _p("任期年数（每届不得超过三年）") + "，任期届满，连选可以连任。",
                ],
                basis(b_small, 70),
            )
        )
        word = "董事"
    else:
        n = len(app.directors)
        out.append(
            _clause(
                [
                    f"申请书列明董事{n}人。公司设董事会的，成员应为三人以上；规模较小或者股东人数较少的，"
                    "可以不设董事会，设一名董事。" + _p("董事会组成或者一名董事的人选"),
                ],
                basis(b_set, 68, b_small) if not jsc else basis(120, 128),
            )
        )
        word = "董事会"
    powers = [
        "（一）召集股东会会议，并向股东会报告工作；",
        "（二）执行股东会的决议；",
        "（三）决定公司的经营计划和投资方案；",
        "（四）制订公司的利润分配方案和弥补亏损方案；",
        "（五）制订公司增加或者减少注册资本以及发行公司债券的方案；",
        "（六）制订公司合并、分立、解散或者变更公司形式的方案；",
        "（七）决定公司内部管理机构的设置；",
        "（八）决定聘任或者解聘公司经理及其报酬事项，并根据经理的提名决定聘任或者解聘公司副经理、财务负责人及其报酬事项；",
        "（九）制定公司的基本管理制度；",
        "（十）本章程规定或者股东会授予的其他职权。",
    ]
    out.append(_clause([f"{word}行使下列职权：", *powers], basis(67, 120) if jsc else basis(67)))
    if board is not False:
        out.append(
            _clause(
                [
                    "董事会会议应当有过半数的董事出席方可举行。董事会作出决议，应当经全体董事的过半数通过。"
                    "董事会决议的表决，应当一人一票。董事会应当对所议事项的决定作成会议记录，出席会议的董事应当在会议记录上签名。"
                ],
                basis(124) if jsc else basis(73),
            )
        )
    # manager
    if app.manager:
        also = ""
        if board is False and app.directors and app.directors[0].name == app.manager:
            also = "（由董事兼任）"
        out.append(
            _clause(
                [
                    f"公司设经理一名，由{word}决定聘任或者解聘，现由{app.manager}担任{also}。"
                    f"经理对{word}负责，根据本章程的规定或者{word}的授权行使职权。"
                ],
                basis(126, 127) if jsc else basis(74, *([75] if also else [])),
            )
        )
    elif jsc:
        out.append(_clause(["公司设经理，由董事会决定聘任或者解聘。经理人选：" + _p("经理人选")], basis(126)))
    else:
        out.append(_clause(["公司是否设经理及其人选：" + _p("是否设经理（可以设经理）")], basis(74)))
    # supervisor
    if app.supervisor and app.supervisor.name:
        out.append(
            _clause(
                [
                    f"公司规模较小（或股东人数较少），不设监事会，设监事一名，由{app.supervisor.name}担任。"
                    "监事的任期每届为三年，任期届满，连选可以连任。董事、高级管理人员不得兼任监事。",
                ],
                basis(133, 77, 76) if jsc else basis(83, 77, 76),
            )
        )
        sup_powers = [
            "监事行使下列职权：",
            "（一）检查公司财务；",
            "（二）对董事、高级管理人员执行职务的行为进行监督，对违反法律、行政法规、本章程或者股东会决议的董事、"
            "高级管理人员提出解任的建议；",
            "（三）当董事、高级管理人员的行为损害公司的利益时，要求董事、高级管理人员予以纠正；",
            f"（四）提议召开临时股东会会议，在{word}不履行召集和主持股东会会议职责时召集和主持股东会会议；",
            "（五）向股东会会议提出提案；",
            "（六）依照《公司法》第一百八十九条的规定，对董事、高级管理人员提起诉讼；",
            "（七）本章程规定的其他职权。",
        ]
        out.append(_clause(sup_powers, basis(131, 78) if jsc else basis(78)))
        sword = "监事"
    else:
        if jsc:
            text = "公司监督机构的设置（设监事会、设一名监事，或按本章程在董事会中设审计委员会）：" + _p("监督机构设置")
            b = basis(130, 121, 133)
        else:
            text = (
                "申请书未列明监事。公司设一名监事，或者经全体股东一致同意不设监事，或者在董事会中设审计委员会行使监事会职权："
                + _p("监督机构设置及人选")
            )
            b = basis(76, 69, 83)
        out.append(_clause([text], b))
        sword = "监事"
    return out, word, sword


def _contribution_rows(people: list[Shareholder], total_label: str, jsc: bool) -> list[list[str]]:
    if jsc:
        header = ["发起人姓名或者名称", "证件号码", "认购股份数（股）", "出资额（万元）", "出资方式"]
    else:
        header = ["股东姓名或者名称", "证件号码", "认缴出资额（万元）", "出资方式", "出资日期（认缴期限）", "出资比例"]
    total = sum(p.contribution_wan or 0 for p in people)
    rows = [header]
    for p in people:
        share = f"{(p.contribution_wan or 0) / total * 100:.2f}%" if total and p.contribution_wan is not None else ""
        amount = fmt_wan(p.contribution_wan) or _p("出资额")
        if jsc:
            rows.append(
                [_val(p.name, "姓名或者名称"), p.id_number or "", _p("认购股份数"), amount, _val(p.method, "出资方式")]
            )
        else:
            rows.append(
                [
                    _val(p.name, "姓名或者名称"),
                    p.id_number or "",
                    amount,
                    _val(p.method, "出资方式"),
                    _val(p.subscription_deadline, "出资日期"),
                    share,
                ]
            )
    tot = ["合计", "", fmt_wan(total) if people else _p("出资合计")]
    rows.append(tot + [""] * (len(header) - len(tot)))
    if jsc:
        rows[-1] = ["合计", "", "", fmt_wan(total) if people else _p("出资合计"), ""]
    return rows


def compose_articles(app: Application) -> Articles:
    """Build the articles for 有限责任公司 or 股份有限公司 (caller ensures the entity type)."""
    jsc = app.entity_type == "股份有限公司"
    name = app.proposed_name or _p("公司名称")
    holders = app.promoters if jsc else app.shareholders
    if jsc and not holders:
        holders = app.shareholders
    who = "发起人" if jsc else "股东"
    chapters: list[Chapter] = []

    # 第一章 总则
    single = not jsc and len(holders) == 1
    ch = Chapter("总则")
    ch.clauses.append(
        _clause(
            [
                "为规范公司的组织和行为，保护公司、股东、职工和债权人的合法权益，根据《中华人民共和国公司法》"
                f"（以下简称《公司法》）和有关法律、行政法规的规定，由{_names(holders)}"
                f"{'发起设立' if jsc else '出资设立'}{name}（以下简称“公司”），特制定本章程。"
            ],
            basis(1, 5),
        )
    )
    liability = "认购的股份" if jsc else "认缴的出资额"
    ch.clauses.append(
        _clause(
            [
                f"公司是企业法人，有独立的法人财产，享有法人财产权。公司以其全部财产对公司的债务承担责任；"
                f"{who if not jsc else '股东'}以其{liability}为限对公司承担责任。"
            ],
            basis(3, 4),
        )
    )
    ch.clauses.append(
        _clause(
            [
                "本章程对公司、股东、董事、监事、高级管理人员具有约束力。本章程条款与法律、行政法规不符的，以法律、行政法规为准。"
            ],
            basis(5),
        )
    )
    chapters.append(ch)

    # 第二章 名称和住所
    ch = Chapter("公司名称和住所")
    ch.clauses.append(_clause([f"公司名称：{name}。"], basis(95 if jsc else 46) + "第一款第一项"))
    ch.clauses.append(_clause([f"公司住所：{_val(app.domicile, '住所')}。"], basis(95 if jsc else 46) + "第一款第一项"))
    chapters.append(ch)

    # 第三章 经营范围
    ch = Chapter("公司经营范围")
    ch.clauses.append(
        _clause(
            [f"公司经营范围：{_scope_text(app)}（以登记机关登记的经营范围为准。）"],
            basis(95 if jsc else 46) + "第一款第二项、第九条",
        )
    )
    chapters.append(ch)

    # 第四章 注册资本与出资
    cap = fmt_wan(app.registered_capital_wan) or _p("注册资本")
    if jsc:
        ch = Chapter("公司设立方式、注册资本和股份")
        ch.clauses.append(
            _clause([f"公司设立方式：{_val(app.establishment_method, '发起设立或者募集设立')}。"], basis(95))
        )
        shares = f"{app.shares_issued_at_establishment:g}" if app.shares_issued_at_establishment is not None else None
        share_label = "股份类型（面额股或者无面额股；是否发行类别股）"
        par = f"{app.par_value_yuan:g}" if app.par_value_yuan is not None else None
        ch.clauses.append(
            _clause(
                [
                    f"公司注册资本为人民币{cap}万元，为在公司登记机关登记的已发行股份的股本总额。",
                    f"公司设立时发行的股份数为{_val(shares, '设立时发行的股份数')}股；"
                    f"股份类型：{_val(app.share_type, share_label)}；"
                    f"面额股的每股金额为人民币{_val(par, '每股金额')}元。",
                ],
                basis(95, 96, 142),
            )
        )
        rows = _contribution_rows(holders, "合计", jsc=True)
        ch.clauses.append(
            _clause(
                ["发起人的姓名或者名称、认购的股份数、出资方式如下："],
                basis(95) + "第一款第六项",
                table=rows,
            )
        )
        ch.clauses.append(
            _clause(
                [
                    "以发起设立方式设立的，发起人应当认足本章程规定的公司设立时应发行的股份，"
                    "并在公司成立前按照其认购的股份全额缴纳股款。"
                ],
                basis(97, 98),
            )
        )
    else:
        ch = Chapter("公司注册资本及股东的姓名（名称）、出资额、出资方式和出资日期")
        ch.clauses.append(
            _clause(
                [f"公司注册资本为人民币{cap}万元，为在公司登记机关登记的全体股东认缴的出资额。"],
                basis("第四十六条第一款第三项", 47),
            )
        )
        rows = _contribution_rows(holders, "合计", jsc=False)
        ch.clauses.append(
            _clause(
                ["股东的姓名或者名称、认缴的出资额、出资方式和出资日期如下："],
                basis("第四十六条第一款第四项、第五项"),
                table=rows,
            )
        )
        limit = _five_year_limit(app)
        rule = "全体股东认缴的出资额由股东按照本章程的规定自公司成立之日起五年内缴足。"
        late = [
            p.name or "某股东"
            for p in holders
            if limit and p.subscription_deadline and p.subscription_deadline > limit.isoformat()
        ]
        paras = [rule]
        if late:
            paras.append(
                f"{'、'.join(late)}的出资日期可能超出公司成立之日起五年的期限（按申请日期{app.application_date}推算）："
                + _p("出资日期")
            )
        ch.clauses.append(_clause(paras, basis(47)))
        non_money = any(p.method and p.method != "货币" for p in holders)
        ch.clauses.append(
            _clause(
                [
                    "股东可以用货币出资，也可以用实物、知识产权、土地使用权、股权、债权等可以用货币估价并可以依法转让的"
                    "非货币财产作价出资。"
                    + ("对作为出资的非货币财产应当评估作价，核实财产，不得高估或者低估作价。" if non_money else "")
                ],
                basis(48),
            )
        )
        ch.clauses.append(
            _clause(
                [
                    "股东应当按期足额缴纳本章程规定的各自所认缴的出资额。股东以货币出资的，应当将货币出资足额存入公司在银行"
                    "开设的账户；以非货币财产出资的，应当依法办理其财产权的转移手续。股东未按期足额缴纳出资的，"
                    "除应当向公司足额缴纳外，还应当对给公司造成的损失承担赔偿责任。"
                ],
                basis(49),
            )
        )
        ch.clauses.append(
            _clause(
                [
                    "公司成立后，应当向股东签发出资证明书，并置备股东名册。记载于股东名册的股东，可以依股东名册主张行使股东权利。"
                ],
                basis(55, 56),
            )
        )
    chapters.append(ch)

    # 第五章 机构
    ch = Chapter("公司的机构及其产生办法、职权、议事规则")
    if single:
        ch.clauses.append(
            _clause(
                [
                    "公司只有一个股东，不设股东会。股东作出《公司法》第五十九条第一款所列事项的决定时，应当采用书面形式，"
                    "并由股东签名或者盖章后置备于公司。"
                ],
                basis(60),
            )
        )
    else:
        ch.clauses.append(
            _clause(
                [
                    "股东会由全体股东组成，是公司的权力机构，行使下列职权：",
                    "（一）选举和更换董事、监事，决定有关董事、监事的报酬事项；",
                    "（二）审议批准董事会（或者董事）的报告；",
                    "（三）审议批准监事会（或者监事）的报告；",
                    "（四）审议批准公司的利润分配方案和弥补亏损方案；",
                    "（五）对公司增加或者减少注册资本作出决议；",
                    "（六）对发行公司债券作出决议；",
                    "（七）对公司合并、分立、解散、清算或者变更公司形式作出决议；",
                    "（八）修改公司章程；",
                    "（九）本章程规定的其他职权。",
                    "对前款所列事项股东以书面形式一致表示同意的，可以不召开股东会会议，直接作出决定，并由全体股东在决定文件上"
                    "签名或者盖章。",
                ],
                basis(111, 112, 59) if jsc else basis(58, 59),
            )
        )
    gov, board_word, _ = _governance(app, jsc)
    if not single:
        if jsc:
            meetings = [
                "股东会应当每年召开一次年会；有《公司法》第一百一十三条规定情形之一的，应当在两个月内召开临时股东会会议。",
                "召开股东会会议，应当将会议召开的时间、地点和审议的事项于会议召开二十日前通知各股东；临时股东会会议应当于会议"
                "召开十五日前通知各股东。",
                "股东出席股东会会议，所持每一股份有一表决权。股东会作出决议，应当经出席会议的股东所持表决权过半数通过；"
                "作出修改公司章程、增加或者减少注册资本的决议，以及公司合并、分立、解散或者变更公司形式的决议，应当经出席会议的"
                "股东所持表决权的三分之二以上通过。",
            ]
            ch.clauses.append(_clause(meetings, basis(113, 115, 116)))
        else:
            ch.clauses.append(_clause(["首次股东会会议由出资最多的股东召集和主持。"], basis(61)))
            ch.clauses.append(
                _clause(
                    [
                        "股东会会议分为定期会议和临时会议。定期会议的召开时间：" + _p("定期会议召开时间") + "。"
                        "代表十分之一以上表决权的股东、三分之一以上的董事或者监事提议召开临时会议的，应当召开临时会议。",
                        f"股东会会议由{board_word}召集和主持；{board_word}不能履行或者不履行召集股东会会议职责的，由监事召集和主持；"
                        "监事不召集和主持的，代表十分之一以上表决权的股东可以自行召集和主持。",
                        "召开股东会会议，应当于会议召开十五日前通知全体股东。股东会应当对所议事项的决定作成会议记录，"
                        "出席会议的股东应当在会议记录上签名或者盖章。",
                    ],
                    basis(62, 63, 64),
                )
            )
            ch.clauses.append(
                _clause(
                    [
                        "股东会会议由股东按照出资比例行使表决权。股东会作出决议，应当经代表过半数表决权的股东通过。",
                        "股东会作出修改公司章程、增加或者减少注册资本的决议，以及公司合并、分立、解散或者变更公司形式的决议，"
                        "应当经代表三分之二以上表决权的股东通过。",
                    ],
                    basis(65, 66),
                )
            )
    ch.clauses.extend(gov)
    ch.clauses.append(
        _clause(
            ["有《公司法》第一百七十八条规定情形之一的，不得担任公司的董事、监事、高级管理人员。"],
            basis(178),
        )
    )
    chapters.append(ch)

    # 第六章 法定代表人
    ch = Chapter("公司的法定代表人")
    lr = app.legal_rep
    lr_name = lr.name if lr else None
    pos = (lr.position if lr else None) or ""
    if "经理" in pos and "董事" not in pos:
        role = "经理"
    elif re.search("董事", pos):
        role = (
            "董事长"
            if "董事长" in pos
            else ("董事" if _org_is_board(app) is not True else "代表公司执行公司事务的董事")
        )
    else:
        role = _p("由代表公司执行公司事务的董事或者经理担任")
    ch.clauses.append(
        _clause(
            [
                f"公司的法定代表人由{role}担任，现由{_val(lr_name, '法定代表人姓名')}担任。",
                "担任法定代表人的董事或者经理辞任的，视为同时辞去法定代表人。法定代表人辞任的，公司应当在法定代表人辞任之日起"
                "三十日内确定新的法定代表人。法定代表人变更的，应当依法办理变更登记。",
            ],
            basis(10, "第九十五条第一款第八项" if jsc else "第四十六条第一款第七项"),
        )
    )
    chapters.append(ch)

    # 第七章 股权转让
    if jsc:
        ch = Chapter("股份转让")
        ch.clauses.append(
            _clause(
                [
                    "公司的股东持有的股份可以向其他股东转让，也可以向股东以外的人转让。股份转让的其他限制："
                    + _p("是否另作限制")
                ],
                basis(157),
            )
        )
    else:
        ch = Chapter("股权转让")
        ch.clauses.append(
            _clause(
                [
                    "股东之间可以相互转让其全部或者部分股权。",
                    "股东向股东以外的人转让股权的，应当将股权转让的数量、价格、支付方式和期限等事项书面通知其他股东，"
                    "其他股东在同等条件下有优先购买权。股东自接到书面通知之日起三十日内未答复的，视为放弃优先购买权。"
                    "两个以上股东行使优先购买权的，协商确定各自的购买比例；协商不成的，按照转让时各自的出资比例行使优先购买权。",
                ],
                basis(84),
            )
        )
        ch.clauses.append(_clause(["自然人股东死亡后，其合法继承人可以继承股东资格。"], basis(90)))
    chapters.append(ch)

    # 第八章 财务、利润分配
    ch = Chapter("财务会计与利润分配")
    dist = (
        "股份有限公司按照股东所持有的股份比例分配利润"
        if jsc
        else "按照股东实缴的出资比例分配利润，全体股东约定不按照出资比例分配利润的除外"
    )
    ch.clauses.append(
        _clause(
            [
                "公司依照法律、行政法规和国务院财政部门的规定建立本公司的财务、会计制度。",
                "公司分配当年税后利润时，应当提取利润的百分之十列入公司法定公积金；法定公积金累计额为公司注册资本的百分之五十以上的，"
                f"可以不再提取。公司弥补亏损和提取公积金后所余税后利润，{dist}。",
            ],
            basis(207, 210),
        )
    )
    chapters.append(ch)

    # 第九章 解散和清算
    ch = Chapter("解散和清算")
    period = app.operating_period
    term = "长期" if period == "长期" else (f"自公司成立之日起{period}" if period else _p("营业期限"))
    ch.clauses.append(_clause([f"公司的营业期限为{term}。"], basis(229) + "第一款第一项"))
    ch.clauses.append(
        _clause(
            [
                "公司因下列原因解散：（一）本章程规定的营业期限届满或者本章程规定的其他解散事由出现；（二）股东会决议解散；"
                "（三）因公司合并或者分立需要解散；（四）依法被吊销营业执照、责令关闭或者被撤销；（五）人民法院依照《公司法》"
                "第二百三十一条的规定予以解散。",
                "公司因前款第一项、第二项、第四项、第五项规定而解散的，应当清算。董事为公司清算义务人，应当在解散事由出现之日起"
                "十五日内组成清算组进行清算。",
            ],
            basis(229, 232),
        )
    )
    chapters.append(ch)

    if jsc:
        ch = Chapter("通知和公告")
        ch.clauses.append(_clause(["公司的通知和公告办法：" + _p("通知和公告方式")], basis("第九十五条第一款第十二项")))
        chapters.append(ch)

    # 附则
    ch = Chapter("附则")
    ch.clauses.append(
        _clause(
            [
                f"本章程自全体{who}签名或者盖章之日起生效。本章程一式{_p('份数')}，公司留存一份，并报公司登记机关备案一份。"
            ],
            basis("第四十六条第二款") if not jsc else basis(95),
        )
    )
    chapters.append(ch)

    n = 0
    pending = 0
    for c in chapters:
        for cl in c.clauses:
            n += 1
            cl.number = f"第{cn_number(n)}条"
            pending += cl.pending
    signers = [p.name for p in holders if p.name] or [_p(f"{who}签名")]
    return Articles(
        title=f"{name}章程",
        entity_type=app.entity_type or "",
        chapters=chapters,
        signatories=signers,
        pending_count=pending,
    )
