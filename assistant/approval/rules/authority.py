"""authority.*: the domicile / premises address, its county-level division code, and the registration authority.

登记管辖 follows 市场主体登记管理条例实施细则 第十条 (住所 / 经营场所所在地) and 第四条 (股份有限公司 → 地市级以上;
省级以上国资出资的公司 → 省级), encoded in ``admin_divisions/registration_jurisdiction_rules.json``. Provinces may
set their own allocation (第四条第二款); those local tables are not public, so the default county rule applies.
"""

from __future__ import annotations

from pathlib import Path

from assistant.approval.address import MUNICIPALITIES, Divisions, load_divisions, parse_address
from assistant.approval.context import RuleContext
from assistant.approval.model import Application

_SUFFIX = "市场监督管理局"
_STATE_INVESTOR_WORDS = ("国有资产监督管理委员会", "国资委", "人民政府")
_BASIS_DEFAULT = "市场主体登记管理条例实施细则 第十条：向住所（经营场所）所在地具有登记管辖权的登记机关办理登记"
_BASIS_JSC = "市场主体登记管理条例实施细则 第四条第一款：股份有限公司的登记管理由地市级以上地方登记机关负责"
_BASIS_STATE = (
    "市场主体登记管理条例实施细则 第四条第一款：省级以上人民政府或者其授权的国有资产监督管理机构"
    "履行出资人职责的公司由省级登记机关负责"
)


def _address_field(app: Application) -> str:
    return "business_premises" if app.entity_type == "个体工商户" else "domicile"


def _state_investor_majority(app: Application, d: Divisions) -> bool:
    """A provincial-or-higher government / SASAC holds at least half the subscribed capital (实施细则第四条)."""
    holders = app.shareholders or app.promoters
    total = sum(s.contribution_wan or 0 for s in holders)
    if total <= 0:
        return False
    state = 0.0
    for s in holders:
        name = (s.name or "").strip()
        if s.type == "自然人" or not any(w in name for w in _STATE_INVESTOR_WORDS):
            continue
        provincial = name.startswith("国务院") or _provincial_body(name, d)
        if provincial:
            state += s.contribution_wan or 0
    return state * 2 >= total


def _provincial_body(name: str, d: Divisions) -> bool:
    """``广东省人民政府国有资产监督管理委员会`` is provincial; ``广东省广州市人民政府…`` is not."""
    prefixes = [p for p in d.province_by_name if name.startswith(p)]
    if not prefixes:
        return False
    rest = name[len(max(prefixes, key=len)) :]
    return rest.startswith(_STATE_INVESTOR_WORDS)


def authority_for(app: Application, code: str, d: Divisions) -> dict[str, str]:
    county = d.counties[code]
    prov_name = d.provinces.get(county.province_code, "")
    city_name = d.city_name(code)
    if _state_investor_majority(app, d):
        return {
            "code": county.province_code + "0000",
            "name": prov_name + _SUFFIX,
            "level": "province",
            "basis": _BASIS_STATE,
        }
    if app.entity_type == "股份有限公司":
        if county.province_code in MUNICIPALITIES:
            return {
                "code": county.province_code + "0000",
                "name": prov_name + _SUFFIX,
                "level": "province",
                "basis": _BASIS_JSC,
            }
        if city_name:
            return {
                "code": county.city_code + "00",
                "name": city_name + _SUFFIX,
                "level": "prefecture",
                "basis": _BASIS_JSC,
            }
        # 省直辖县级市 (仙桃市 …) exercise prefecture-level powers themselves
        return {"code": code, "name": county.name + _SUFFIX, "level": "prefecture", "basis": _BASIS_JSC}
    if code.endswith("00") and county.name == city_name:  # 东莞市 / 中山市: no counties, the city bureau registers
        return {"code": code, "name": county.name + _SUFFIX, "level": "prefecture", "basis": _BASIS_DEFAULT}
    # 市辖区 carry the city's name (广州市天河区); 县 / 县级市 / 旗 are named on their own (昆山市, 云阳县)
    name = city_name + county.name if county.name.endswith("区") and city_name else county.name
    return {"code": code, "name": name + _SUFFIX, "level": "county", "basis": _BASIS_DEFAULT}


def _place(d: Divisions, code: str) -> str:
    c = d.counties.get(code)
    if c is None:
        return code
    city = d.city_name(code)
    prov = d.provinces.get(c.province_code, "")
    parts = [prov] if prov and prov != city else []
    if city and city != c.name:
        parts.append(city)
    parts.append(c.name)
    return "".join(parts)


def check(ctx: RuleContext) -> None:
    app = ctx.app
    data_dir = Path(ctx.data.data_dir)
    d = load_divisions(data_dir)
    field = _address_field(app)
    address = (getattr(app, field) or "").strip()
    if not address:
        ctx.hit("authority.address_missing", field=field, label="经营场所" if field == "business_premises" else "住所")
    parsed = parse_address(address, data_dir) if address else {}
    parsed_code = parsed.get("district_code") if parsed else None
    raw_candidates = parsed.get("district_candidates") if parsed else None
    candidates = [str(c) for c in raw_candidates] if isinstance(raw_candidates, list) else []

    code = app.domicile_district_code
    if code:
        if code not in d.counties:
            hint = (
                f"根据地址应为 {parsed_code}（{_place(d, str(parsed_code))}）"
                if parsed_code
                else "请核对行政区划代码表"
            )
            ctx.hit("authority.district_code_invalid", field="domicile_district_code", code=code, suggestion=hint)
            return
    elif parsed_code:
        code = str(parsed_code)
        ctx.hit("authority.district_code_derived", field="domicile_district_code", code=code, place=_place(d, code))
    else:
        ctx.hit("authority.district_code_missing", field="domicile_district_code")
        return

    if parsed and address:
        county = d.counties[code]
        mismatch = ""
        if parsed_code and parsed_code != code:
            mismatch = _place(d, str(parsed_code))
        elif candidates and code not in candidates:
            mismatch = "、".join(_place(d, c) for c in candidates)
        elif not parsed_code and not candidates:
            prov = str(parsed.get("province") or "")
            city = str(parsed.get("city") or "")
            if city and city != d.city_name(code) and city != county.name:
                mismatch = (prov if prov != city else "") + city
            elif prov and prov != d.provinces.get(county.province_code):
                mismatch = prov
            elif not prov and not city:
                ctx.hit("authority.address_incomplete", field=field, address=address[:60], place=_place(d, code))
        if mismatch:
            ctx.hit(
                "authority.address_district_mismatch",
                field=field,
                address=address[:60],
                place=mismatch,
                code=code,
                code_place=_place(d, code),
            )
    ctx.outputs["registration_authority"] = authority_for(app, code, d)
