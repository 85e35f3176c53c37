"""Post-processing of document values: dates, periods, check digits, money, traditional characters."""

import random
from datetime import date

import pytest

from assistant.documents import values
from assistant.documents.spec import norm
from assistant.settings import Settings
from eval import docgen

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("1990年3月7日", "1990-03-07"),
        ("1990 年 03 月 07 日", "1990-03-07"),
        ("1990.03.07", "1990-03-07"),
        ("19900307", "1990-03-07"),
        ("2O15.O3.O7", "2015-03-07"),  # letter O read for zero
    ],
)
def test_dates_are_normalised(text: str, want: str) -> None:
    assert values.parse_date(text) == (want, None)


def test_an_impossible_date_is_flagged() -> None:
    value, problem = values.parse_date("1990年13月40日")
    assert problem and value == "1990年13月40日"


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2015.03.07-2035.03.07", "2015-03-07", "2035-03-07"),
        ("2015.03.07-长期", "2015-03-07", "长期"),
        ("自2025年1月1日起至2027年12月31日止", "2025-01-01", "2027-12-31"),
        ("长期", "", "长期"),
    ],
)
def test_periods(text: str, start: str, end: str) -> None:
    assert values.parse_period(text) == ((start, end), None)


def test_valid_resident_id_passes_and_a_misread_digit_is_caught() -> None:
    assert values.parse_id_number("11010519491231002X") == ("11010519491231002X", None)
    assert values.parse_id_number("1101 0519 4912 3100 2x") == ("11010519491231002X", None)
    num, problem = values.parse_id_number("11010519491231003X")  # one digit misread
    assert num == "11010519491231003X" and problem and "校验码" in problem


def test_generated_id_numbers_follow_gb11643() -> None:
    good = docgen.ric("440106", date(1990, 3, 7), 123)
    bad = docgen.ric("440106", date(1990, 3, 7), 123, valid=False)
    assert values.parse_id_number(good)[1] is None
    assert values.parse_id_number(bad)[1] is not None


def test_credit_code_check_digits(settings: Settings) -> None:
    for real in ("91110000802100433B", "91440300708461136T", "91110117MABWGRQU85"):
        assert values.parse_uscc(real, settings.data_dir) == (real, None)
    assert values.parse_uscc("91110000802100433C", settings.data_dir)[1]
    rng = random.Random(3)
    assert values.parse_uscc(docgen.uscc("440106", rng), settings.data_dir)[1] is None
    assert values.parse_uscc(docgen.uscc("440106", rng, valid=False), settings.data_dir)[1] is not None


def test_birth_date_and_sex_must_agree_with_the_id_number() -> None:
    num = "11010519491231002X"  # female, born 1949-12-31
    assert values.id_consistency(num, "1949-12-31", "女") is None
    assert values.id_consistency(num, "1949-12-30", "女")
    assert values.id_consistency(num, "1949-12-31", "男")


@pytest.mark.parametrize(
    ("text", "wan"),
    [("人民币100万元", "100"), ("50.5万元人民币", "50.5"), ("人民币壹佰伍拾万元整", "150"), ("1,000,000元", "100")],
)
def test_registered_capital_in_wan(text: str, wan: str) -> None:
    assert values.parse_money_wan(text) == (wan, None)


def test_area_and_sex() -> None:
    assert values.parse_area("房屋建筑面积85.50平方米") == ("85.50", None)
    assert values.parse_sex("男") == ("男", None)
    assert values.parse_sex("?")[1]


def test_traditional_characters_are_simplified_before_parsing() -> None:
    assert norm("營業執照 住 址：廣東省") == "营业执照住址:广东省"


@pytest.mark.parametrize(
    ("text", "want"),
    [
        (
            "一般项目:软件开发;信息技术咨询服务。(除依法须经批准的项目外,凭营业执照依法自主开展经营活动)",
            "一般项目：软件开发；信息技术咨询服务。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）",
        ),
        ("广州青禾软件有限公司(天河分公司)", "广州青禾软件有限公司（天河分公司）"),
        ("食品销售(仅销售预包装食品(含冷藏))", "食品销售（仅销售预包装食品（含冷藏））"),
        ("有限责任公司（自然人投资或控股)", "有限责任公司（自然人投资或控股）"),  # a half pair
        ("(一)总则", "（一）总则"),
        ("人民币1,000万元", "人民币1,000万元"),  # a number keeps its comma
        ("营业时间9:30-18:00", "营业时间9:30-18:00"),
        ("ABC Ltd. (HK), Inc.", "ABC Ltd. (HK), Inc."),  # no Chinese: untouched
        ("13812345678", "13812345678"),
    ],
)
def test_half_width_punctuation_in_chinese_text_becomes_full_width(text: str, want: str) -> None:
    assert values.cjk_punctuation(text) == want
