"""PII masking: check digits, each kind of value, the vault, and restoration only into form fields."""

import pytest

from assistant.approval.rules.identity import _uscc_tables
from assistant.guardrails.pii import Vault, display, id15_ok, id18_ok, luhn_ok, mask, partial, restore
from tests.conftest import DATA_DIR

pytestmark = pytest.mark.unit
_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def ric(body17: str) -> str:
    return body17 + "10X98765432"[sum(int(c) * w for c, w in zip(body17, _W, strict=True)) % 11]


def uscc(prefix: str = "91", region: str = "110108", org: str = "60000733") -> str:
    charset, weights, org_weights, _ = _uscc_tables(DATA_DIR)
    r = 11 - sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(org, org_weights, strict=True)) % 11
    body = prefix + region + org + ("X" if r == 10 else "0" if r == 11 else str(r))
    r31 = 31 - sum(charset.index(c) * w for c, w in zip(body, weights, strict=True)) % 31
    return body + charset[0 if r31 == 31 else r31]


ID = ric("11010519491231002")  # …002X
ID2 = ric("44030619900307123")
CARD = "6222021234567890128"  # Luhn-valid 19 digits
assert luhn_ok(CARD)


def test_check_digits() -> None:
    assert ID.endswith("X") and id18_ok(ID) and id18_ok(ID.lower())
    assert not id18_ok(ID[:-1] + "1")  # wrong check digit
    assert not id18_ok(ric("11010519491331002"))  # month 13
    assert id15_ok("110105491231002") and not id15_ok("110105491331002")
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")


@pytest.mark.parametrize(
    ("text", "label"),
    [
        (f"身份证号{ID}", "[身份证号1]"),
        (f"身份证 {ID2}。", "[身份证号1]"),
        ("老身份证110105491231002还能用吗", "[身份证号1]"),
        ("手机13812345678", "[手机号1]"),
        ("手机 138 1234 5678", "[手机号1]"),
        ("手机138-1234-5678", "[手机号1]"),
        ("call +86 139 1234 5678", "[手机号1]"),
        ("手机１３８１２３４５６７８", "[手机号1]"),  # full-width digits
        ("电话010-88886666", "[固定电话1]"),
        ("电话（0755）86668888转123", "[固定电话1]"),
        (f"信用代码{uscc()}", "[信用代码1]"),
        (f"卡号{CARD}", "[银行卡号1]"),
        ("卡号 4111 1111 1111 1111", "[银行卡号1]"),
        ("mail zhang.san@example.com.cn please", "[邮箱1]"),
        ("护照E12345678", "[护照号1]"),
        ("passport EA1234567", "[护照号1]"),
    ],
)
def test_each_kind_is_masked(text: str, label: str) -> None:
    masked, vault = mask(text, data_dir=DATA_DIR)
    assert label in masked, masked
    assert list(vault.entries) == [label] and vault.entries[label] not in masked


@pytest.mark.parametrize(
    "text",
    [
        "注册资本100万元，2024年12月31日前缴足",
        "公司法第四十七条规定五年内缴足",
        "股东50人以下，发起人200人以下",
        "办件编号 20240101123456",
        f"{ID[:-1]}1 是不是号码写错了",  # bad check digit, not Luhn: left alone
        f"{uscc()[:-1]}0",  # credit code with a wrong check character
        "4111111111111112",  # fails Luhn
        "金额 12,345,678.90 元",
        "邮编100080",
    ],
)
def test_non_personal_numbers_are_kept(text: str) -> None:
    masked, vault = mask(text, data_dir=DATA_DIR)
    assert masked == text and not vault


def test_vault_reuses_placeholders_and_counts_per_kind() -> None:
    masked, vault = mask(f"{ID} 和 {ID2}，再说一次 {ID}，手机13812345678", data_dir=DATA_DIR)
    assert masked == "[身份证号1] 和 [身份证号2]，再说一次 [身份证号1]，手机[手机号1]"
    assert vault.entries == {"[身份证号1]": ID, "[身份证号2]": ID2, "[手机号1]": "13812345678"}
    assert ID not in repr(vault) and "13812345678" not in repr(vault)


def test_restore_only_into_form_fields() -> None:
    masked, vault = mask(f"法定代表人身份证{ID}，电话13812345678", data_dir=DATA_DIR)
    assert restore(masked, vault, into="form") == f"法定代表人身份证{ID}，电话13812345678"
    chat = restore(masked, vault, into="chat")
    assert ID not in chat and "13812345678" not in chat
    assert chat == "法定代表人身份证110***********002X，电话138****5678"
    assert display("[身份证号9] 不在库里", vault) == "[身份证号9] 不在库里"


def test_partial_masks() -> None:
    assert partial("id", ID) == "110***********002X"
    assert partial("email", "zhang@example.com") == "z***@example.com"
    assert partial("bank_card", CARD).endswith("0128") and partial("bank_card", CARD).count("*") == 15
    assert partial("passport", "E12345678") == "E******78"
    assert Vault() == Vault() and not Vault()
