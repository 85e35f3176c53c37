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
