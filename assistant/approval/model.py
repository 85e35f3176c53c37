"""The Application (standard form data) and the Decision, as fixed in shared/contracts/README.md.

Unknown keys are refused (a typo in a field name must not silently drop data); every field is optional
unless the entity type needs it, which the rule modules check and report as findings.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

EntityType = Literal["有限责任公司", "股份有限公司", "个体工商户", "个人独资企业"]
Severity = Literal["block", "review", "hint"]
_DATE = r"^\d{4}-\d{2}-\d{2}$"


def _calendar_date(value: str | None) -> str | None:
    """A YYYY-MM-DD that is a real day (2024-13-01 matches the pattern but is no date): else a 422, not a 500."""
    if value is not None:
        date.fromisoformat(value)  # ValueError → pydantic's validation error
    return value


IsoDate = Annotated[str | None, Field(pattern=_DATE), AfterValidator(_calendar_date)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CreditCheck(_Strict):
    失信被执行人: bool = False
    原因: str = ""


class NameParts(_Strict):
    region: str | None = None  # 行政区划
    trade: str | None = None  # 字号
    industry: str | None = None  # 行业或经营特点
    form: str | None = None  # 组织形式


class Person(_Strict):
    name: str | None = Field(default=None, max_length=100)
    id_type: str | None = None  # 居民身份证 | 护照 | 统一社会信用代码 | ...
    id_number: str | None = Field(default=None, max_length=64)
    position: str | None = None
    credit_check: CreditCheck | None = None


class Shareholder(Person):
    type: Literal["自然人", "法人"] | None = None
    contribution_wan: float | None = Field(default=None, ge=0)
    method: str | None = None  # 货币 | 实物 | 知识产权 | 土地使用权 | 股权 | 债权 | ...
    subscription_deadline: IsoDate = None


class Investor(Person):
    contribution_wan: float | None = Field(default=None, ge=0)
    method: str | None = None


class Director(_Strict):
    name: str | None = None
    position: str | None = None  # 董事长 | 执行董事 | 董事 | 职工董事 | ...
    id_number: str | None = None
    credit_check: CreditCheck | None = None


class ExistingName(_Strict):
    name: str
    status: str = "存续"  # 存续 | 保留期内 | 注销未满1年 | 注销 | ...


class BusinessScope(_Strict):
    一般项目: list[str] = Field(default_factory=list)
    许可项目: list[str] = Field(default_factory=list)


class DocumentFacts(_Strict):
    """A document read from an upload (assistant/documents.facts_of): checked by the consistency.* rules."""

    doc_type: str  # id_front | id_back | business_licence | lease_contract | property_certificate | ...
    fields: dict[str, str] = Field(default_factory=dict)
    needs_check: list[str] = Field(default_factory=list)  # fields whose reading must be confirmed


class Application(_Strict):
    application_type: Literal["设立登记", "变更登记", "注销登记"] = "设立登记"
    entity_type: EntityType | None = None
    proposed_name: str | None = Field(default=None, max_length=100)
    name_parts: NameParts | None = None
    domicile: str | None = Field(default=None, max_length=200)
    business_premises: str | None = Field(default=None, max_length=200)
    domicile_district_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    registered_capital_wan: float | None = Field(default=None, ge=0)
    capital_currency: Literal["人民币"] | None = "人民币"
    business_scope: BusinessScope | None = None
    industry_code: str | None = Field(default=None, pattern=r"^\d{4}$")
    shareholders: list[Shareholder] = Field(default_factory=list)
    promoters: list[Shareholder] = Field(default_factory=list)
    share_type: str | None = None
    par_value_yuan: float | None = Field(default=None, gt=0)
    shares_issued_at_establishment: float | None = Field(default=None, ge=0)
    establishment_method: Literal["发起设立", "募集设立"] | None = None
    investor: Investor | None = None
    operator: Person | None = None
    composition: Literal["个人经营", "家庭经营"] | None = None
    directors: list[Director] = Field(default_factory=list)
    manager: str | None = None
    legal_rep: Person | None = None
    supervisor: Person | None = None
    operating_period: str | None = Field(default=None, pattern=r"^(长期|\d{1,3}年)$")
    phone: str | None = Field(default=None, max_length=32)
    application_date: IsoDate = None
    existing_names_same_authority: list[ExistingName] = Field(default_factory=list)
    special_approval_status: str | None = None
    documents: list[DocumentFacts] = Field(default_factory=list)  # uploaded documents as read (consistency.*)


class Finding(BaseModel):
    rule: str
    severity: Severity
    field: str | None = None
    message: str
    message_en: str = ""
    legal_basis: str = ""
    remedy: str = ""
    remedy_en: str = ""


class Authority(BaseModel):
    code: str
    name: str
    level: str = ""
    basis: str = ""


class Decision(BaseModel):
    decision: Literal["pass", "review", "block"]
    findings: list[Finding] = Field(default_factory=list)
    registration_authority: Authority | None = None
    licences_required: list[dict] = Field(default_factory=list)
    elapsed_ms: float = 0.0
    engine_version: str = ""
