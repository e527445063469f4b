from datetime import date

import pytest

from app.services.idcard import IdNumberError, is_valid, normalize, parse_resident_id, upgrade_15


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_valid_vectors(number):
    assert parse_resident_id(number).number == number


@pytest.mark.parametrize("number", ["110105194912310021", "110105195001010027"])
def test_bad_checksum(number):
    with pytest.raises(IdNumberError, match="校验位"):
        parse_resident_id(number)


def test_valid_checksum_but_31_february():
    with pytest.raises(IdNumberError, match="1949年02月31日 不存在"):
        parse_resident_id("110105194902310026")


def test_lowercase_x_and_full_width_digits_are_normalised():
    assert parse_resident_id("11010519491231002x").number == "11010519491231002X"
    full_width = "１１０１０５１９４９１２３１００２ｘ"
    assert normalize(full_width) == "11010519491231002X"
    assert parse_resident_id(full_width).number == "11010519491231002X"
    assert parse_resident_id(" 1101 0519 4912 3100 2X ").number == "11010519491231002X"


def test_fifteen_digit_legacy_number_is_converted():
    # 110105491231002 is the 15-digit form of 11010519491231002X
    assert upgrade_15("110105491231002") == "11010519491231002X"
    parsed = parse_resident_id("110105491231002")
    assert parsed.number == "11010519491231002X"
    assert parsed.birth_date == date(1949, 12, 31)


def test_gender_and_birth_date_derived():
    parsed = parse_resident_id("11010519491231002X")
    assert parsed.gender == "女"  # 17th digit 2 is even
    assert parsed.birth_date == date(1949, 12, 31)
    assert parse_resident_id("440524188001010014").gender == "男"


@pytest.mark.parametrize(
    "raw, fragment",
    [
        ("", "请填写身份证号"),
        ("12345", "应为18位"),
        ("1101051949123100AX", "应为18位"),
        ("99010519491231002X", "省份代码"),
    ],
)
def test_shape_errors_name_the_field(raw, fragment):
    with pytest.raises(IdNumberError) as info:
        parse_resident_id(raw)
    assert fragment in str(info.value)
    assert "身份证号" in str(info.value)


def test_birth_date_in_future_rejected():
    with pytest.raises(IdNumberError, match="不合理"):
        parse_resident_id("11010519491231002X", today=date(1940, 1, 1))


def test_is_valid():
    assert is_valid("11010519491231002X")
    assert not is_valid("110105194912310021")
