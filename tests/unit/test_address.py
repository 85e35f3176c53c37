"""parse_address: province / city / county / township against the national division tables."""

from __future__ import annotations

import pytest

from assistant.approval.address import parse_address
from tests.conftest import DATA_DIR

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "province", "city", "district", "street", "detail", "code"),
    [
        (
            "广东省广州市天河区体育西路103号维多利广场A座2001房",
            "广东省",
            "广州市",
            "天河区",
            "",
            "体育西路103号维多利广场A座2001房",
            "440106",
        ),
        ("广州市天河区天河南街道体育西路1号", "广东省", "广州市", "天河区", "天河南街道", "体育西路1号", "440106"),
        ("广州天河区珠江新城", "广东省", "广州市", "天河区", "", "珠江新城", "440106"),
        ("天河区体育西路1号", "广东省", "广州市", "天河区", "", "体育西路1号", "440106"),
        ("北京市朝阳区建国路88号", "北京市", "北京市", "朝阳区", "", "建国路88号", "110105"),
        ("吉林省长春市朝阳区人民大街1号", "吉林省", "长春市", "朝阳区", "", "人民大街1号", "220104"),
        ("朝阳区建外街道建国路", "北京市", "北京市", "朝阳区", "建外街道", "建国路", "110105"),
        ("上海市浦东新区张江镇科苑路88号", "上海市", "上海市", "浦东新区", "张江镇", "科苑路88号", "310115"),
        ("重庆市云阳县青龙街道滨江大道3号", "重庆市", "重庆市", "云阳县", "青龙街道", "滨江大道3号", "500235"),
        ("江苏省昆山市玉山镇前进西路18号", "江苏省", "苏州市", "昆山市", "玉山镇", "前进西路18号", "320583"),
        ("广东省东莞市南城街道鸿福路1号", "广东省", "东莞市", "东莞市", "南城街道", "鸿福路1号", "441900"),
        ("广西南宁市青秀区民族大道1号", "广西壮族自治区", "南宁市", "青秀区", "", "民族大道1号", "450103"),
        ("内蒙古自治区呼和浩特市新城区1号", "内蒙古自治区", "呼和浩特市", "新城区", "", "1号", "150102"),
        (
            "新疆维吾尔自治区乌鲁木齐市天山区解放路1号",
            "新疆维吾尔自治区",
            "乌鲁木齐市",
            "天山区",
            "",
            "解放路1号",
            "650102",
        ),
        ("湖北省仙桃市干河街道1号", "湖北省", "", "仙桃市", "干河街道", "1号", "429004"),
        ("广东省 广州市　天河区 体育西路", "广东省", "广州市", "天河区", "", "体育西路", "440106"),
    ],
)
def test_parse(text: str, province: str, city: str, district: str, street: str, detail: str, code: str) -> None:
    out = parse_address(text, DATA_DIR)
    assert (out["province"], out["city"], out["district"], out["street"], out["detail"], out["district_code"]) == (
        province,
        city,
        district,
        street,
        detail,
        code,
    )


def test_ambiguous_county_without_city() -> None:
    out = parse_address("朝阳区建国路88号", DATA_DIR)
    assert out["district_code"] is None and out["district"] == "朝阳区"
    assert {"110105", "220104"} <= set(out["district_candidates"])  # type: ignore[arg-type]


def test_short_city_name_is_not_a_county_prefix() -> None:
    # 朝阳市 (辽宁) must not swallow "朝阳" of 朝阳区
    assert parse_address("北京朝阳区建国路", DATA_DIR)["district_code"] == "110105"


@pytest.mark.parametrize("text", ["", "体育西路103号", "x" * 5000, "\u200b🙂𠀀", "省市区县"])
def test_no_division(text: str) -> None:
    out = parse_address(text, DATA_DIR)
    assert out["district_code"] is None and set(out) >= {"province", "city", "district", "street", "detail"}
