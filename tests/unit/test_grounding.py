import pytest

from assistant.pipeline.grounding import check_answer, cn_to_int, numbers_in
from tests.conftest import SAMPLE_CHUNKS

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "value"),
    [("五", 5), ("十", 10), ("十五", 15), ("四十七", 47), ("一百零三", 103), ("两千", 2000), ("三万", 30000)],
)
def test_cn_to_int(text: str, value: int) -> None:
    assert cn_to_int(text) == value


def test_numbers_ignore_markers_and_word_uses() -> None:
    assert numbers_in("五年内缴足[1]，一般情况") == {5.0}
    assert numbers_in("第四十七条规定5年") == {47.0, 5.0}


def passages():  # type: ignore[no-untyped-def]
    from assistant.domain import Passage

    return [Passage(chunk=c) for c in SAMPLE_CHUNKS[:2]]


def test_grounded_answer_passes() -> None:
    r = check_answer("不需要一次交齐，股东应当自公司成立之日起五年内缴足[1]。", passages(), "注册资本要一次交齐吗")
    assert r.ok and r.cited == [1]


def test_arabic_digits_match_chinese_numerals_in_the_passage() -> None:
    assert check_answer("成立之日起5年内缴足[1]。", passages(), "q").ok


def test_invented_number_fails() -> None:
    r = check_answer("需要在三年内缴足[1]。", passages(), "注册资本要一次交齐吗")
    assert not r.ok and "3" in r.reason


def test_missing_or_out_of_range_marker_fails() -> None:
    assert not check_answer("五年内缴足。", passages(), "q").ok
    assert not check_answer("五年内缴足[7]。", passages(), "q").ok


# --- the conclusion after the basis ---------------------------------------------------------------
BASIS_47 = "《公司法》第四十七条：全体股东认缴的出资额由股东按照公司章程的规定自公司成立之日起五年内缴足。"
BASIS_LEND = "《市场主体登记管理条例》第三十七条：任何单位和个人不得伪造、涂改、出租、出借、转让营业执照。"


def test_conclusion_true_to_the_basis_passes() -> None:
    from assistant.pipeline.grounding import check_conclusion

    assert check_conclusion("因此，不需要一次交齐，五年内缴足即可。", BASIS_47, passages()[:1], "要一次交齐吗").ok
    assert check_conclusion("So, it must be paid within five years.", BASIS_47, passages()[:1], "q").ok


@pytest.mark.parametrize(
    ("conclusion", "reason"),
    [
        ("因此，三年内缴足即可。", "numbers"),
        ("So, it must be paid within three years.", "numbers"),
        ("因此，依据《公司法》第二十三条，五年内缴足。", "cites"),
        ("因此，注册资本要一次交齐吗？", "echoes"),
        ("", "empty"),
    ],
)
def test_conclusion_with_what_the_basis_lacks_fails(conclusion: str, reason: str) -> None:
    from assistant.pipeline.grounding import check_conclusion

    r = check_conclusion(conclusion, BASIS_47, passages()[:1], "注册资本要一次交齐吗")
    assert not r.ok and reason in r.reason


def test_polarity_conflicts() -> None:
    from assistant.pipeline.grounding import polarity_conflict

    assert polarity_conflict("因此，可以把营业执照借给朋友。", BASIS_LEND)
    assert not polarity_conflict("因此，不可以出借营业执照。", BASIS_LEND)
    assert not polarity_conflict("因此，经批准的可以。", BASIS_LEND + "但是，经批准的除外。可以")
    assert polarity_conflict("因此，合伙人不能用劳务出资。", "合伙人可以用劳务出资。")


def test_a_no_must_rest_on_a_restriction_in_the_basis() -> None:
    """Seen with the real model: "一个人能开有限公司吗" → "因此，不可以" after a basis that restricts nothing."""
    from assistant.pipeline.grounding import polarity_conflict

    basis = "只有一个股东的有限责任公司不设股东会。有限责任公司由一个以上五十个以下股东出资设立。"
    assert polarity_conflict("因此，不可以，只有一个股东的有限责任公司不设股东会。", basis)
    assert not polarity_conflict("因此，可以，一个股东也可以设立有限责任公司。", basis)
    assert not polarity_conflict("因此，不能，只能登记一个住所。", "市场主体只能登记一个住所或者主要经营场所。")
    assert not polarity_conflict("因此，不能用劳务出资。", "股东不得以劳务、信用作价出资。")
