"""Classification and key-value extraction on text-box fixtures (no OCR): layout, rotation, labels."""

import math

import pytest

from assistant.documents.classify import classify
from assistant.documents.extract import extract
from assistant.documents.layout import normalise
from assistant.documents.model import Line
from assistant.documents.spec import load_specs
from assistant.settings import Settings

pytestmark = pytest.mark.unit


def L(text: str, x0: float, y0: float, x1: float, y1: float) -> Line:
    return Line(text, 0.99, [[x0, y0], [x1, y0], [x1, y1], [x0, y1]])


ID_FRONT = [
    L("姓名", 60, 60, 110, 90), L("张伟", 150, 56, 215, 92),
    L("性别男民族汉", 60, 121, 380, 156),
    L("出生1990年3月7日", 60, 186, 360, 220),
    L("住址", 60, 255, 110, 285), L("广东省广州市天河区体育西", 150, 251, 520, 285),
    L("路103号", 150, 295, 260, 329),
    L("公民身份号码", 60, 450, 210, 478), L("44010619900307123X", 260, 444, 580, 482),
]  # fmt: skip
LICENCE = [
    L("营业执照", 640, 70, 960, 150),
    L("统一社会信用代码91440106MA59ABCD1X", 110, 228, 700, 262),
    L("名称", 110, 320, 165, 350), L("广州青禾软件有限公司", 290, 320, 560, 350),
    L("注册资本", 860, 320, 965, 350), L("人民币100万元", 1040, 320, 1210, 350),
    L("法定代表人", 110, 390, 240, 420), L("李娜", 290, 390, 345, 420),
    L("成立日期", 860, 390, 965, 420), L("2020年5月6日", 1040, 390, 1210, 420),
    L("经营范围", 110, 460, 215, 490), L("一般项目：软件开发；信息技", 290, 460, 810, 490),
    L("住所", 860, 460, 915, 490), L("广东省广州市天河区中山大道", 1040, 460, 1500, 490),
    L("术咨询服务。", 290, 497, 450, 527), L("88号1201室", 1040, 497, 1190, 527),
    L("登记机关", 1000, 980, 1105, 1010), L("广州市天河区市场监督管理局", 1180, 980, 1500, 1010),
]  # fmt: skip


def _turn(lines: list[Line], k: int, w: float, h: float) -> list[Line]:
    out = lines
    for _ in range(k):
        out = [Line(ln.text, ln.score, [[h - y, x] for x, y in ln.quad]) for ln in out]
        w, h = h, w
    return out


def _skew(lines: list[Line], degrees: float) -> list[Line]:
    a = math.radians(degrees)
    c, s = math.cos(a), math.sin(a)
    return [Line(ln.text, ln.score, [[x * c - y * s, x * s + y * c] for x, y in ln.quad]) for ln in lines]


def values_of(lines: list[Line], doc_type: str, settings: Settings, size: tuple[int, int] = (856, 540)) -> dict:
    spec = load_specs(settings.knowledge_dir).types[doc_type]
    upright, _ = normalise(lines, size, spec.anchors)
    return {k: f.text for k, f in extract(upright, spec).items()}


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("姓名张伟 性别男 民族汉 出生1990年3月7日 住址广东省… 公民身份号码44010619900307123X", "id_front"),
        ("中华人民共和国 居民身份证 签发机关 广州市公安局天河分局 有效期限 2015.03.07-2035.03.07", "id_back"),
        ("营业执照 统一社会信用代码 91440106MA59ABCD1X 名称 类型 法定代表人 经营范围", "business_licence"),
        ("營業執照 統一社會信用代碼 名稱 法定代表人 經營範圍", "business_licence"),  # traditional script
        ("房屋租赁合同 出租方（甲方）：王五 承租方（乙方）：李四 租赁期限 租金", "lease_contract"),
        ("不动产权证书 权利人 张三 共有情况 单独所有 坐落 不动产单元号", "property_certificate"),
        ("个体工商户登记（备案）申请书 设立登记 联系电话 申请人", "application_form"),
        ("会议通知 各部门：定于下周三召开会议", "other"),
        ("", "no_document"),
        ("3 ~", "no_document"),
    ],
)
def test_classification(text: str, want: str, settings: Settings) -> None:
    assert classify(text, load_specs(settings.knowledge_dir)) == want


def test_id_front_fields_from_boxes(settings: Settings) -> None:
    got = values_of(ID_FRONT, "id_front", settings)
    assert got["name"] == "张伟"
    assert got["sex"] == "男" and got["ethnicity"] == "汉"
    assert got["birth_date"] == "1990年3月7日"
    assert got["address"] == "广东省广州市天河区体育西路103号"  # two lines joined
    assert got["id_number"] == "44010619900307123X"


@pytest.mark.parametrize("k", [1, 2, 3])
def test_a_turned_card_is_read_upright(k: int, settings: Settings) -> None:
    turned = _turn(ID_FRONT, k, 856, 540)
    size = (856, 540) if k % 2 == 0 else (540, 856)
    spec = load_specs(settings.knowledge_dir).types["id_front"]
    upright, rotation = normalise(turned, size, spec.anchors)
    got = {key: f.text for key, f in extract(upright, spec).items()}
    assert got["address"] == "广东省广州市天河区体育西路103号"
    assert got["id_number"] == "44010619900307123X"
    assert rotation in (90, 180, 270)


def test_a_skewed_card_is_deskewed(settings: Settings) -> None:
    got = values_of(_skew(ID_FRONT, 6), "id_front", settings)
    assert got["address"] == "广东省广州市天河区体育西路103号"
    assert got["name"] == "张伟"


def test_licence_two_columns_keep_their_multi_line_values_apart(settings: Settings) -> None:
    got = values_of(LICENCE, "business_licence", settings, (1600, 1130))
    assert got["credit_code"] == "91440106MA59ABCD1X"
    assert got["name"] == "广州青禾软件有限公司"
    assert got["registered_capital"] == "人民币100万元"
    assert got["scope"] == "一般项目:软件开发;信息技术咨询服务。"
    assert got["domicile"] == "广东省广州市天河区中山大道88号1201室"
    assert got["authority"] == "广州市天河区市场监督管理局"


def test_lease_clauses_with_numbering_and_parenthesised_labels(settings: Settings) -> None:
    lines = [
        L("房屋租赁合同", 470, 90, 780, 150),
        L("出租方（甲方）：广州木棉物业管理有限公司", 110, 220, 700, 255),
        L("承租方（乙方）：陈静", 110, 280, 400, 315),
        L("一、房屋坐落：广东省广州市海珠区新港中路88号1201室", 110, 400, 900, 435),
        L("二、建筑面积：85.5平方米", 110, 460, 450, 495),
        L("四、租赁期限：自2025年1月1日起至2027年12月31日止", 110, 520, 900, 555),
    ]
    got = values_of(lines, "lease_contract", settings, (1240, 1754))
    assert got["lessor"] == "广州木棉物业管理有限公司"
    assert got["lessee"] == "陈静"
    assert got["address"] == "广东省广州市海珠区新港中路88号1201室"
    assert got["area"] == "85.5平方米"
    assert got["term"].startswith("自2025年1月1日")


def test_table_rows_stop_a_multi_line_value_at_the_next_label(settings: Settings) -> None:
    lines = [
        L("不动产权证书", 380, 80, 740, 150),
        L("权利人", 110, 250, 190, 280), L("郭华", 360, 250, 420, 280),
        L("坐落", 110, 330, 165, 360), L("广东省广州市越秀区滨江大道861号", 360, 330, 800, 360),
        L("不动产单元号", 110, 410, 270, 440), L("440104850GB13876F72991083", 360, 410, 760, 440),
    ]  # fmt: skip
    got = values_of(lines, "property_certificate", settings, (1200, 1500))
    assert got["address"] == "广东省广州市越秀区滨江大道861号"
    assert got["unit_number"] == "440104850GB13876F72991083"
