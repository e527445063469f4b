from datetime import date

import pytest

from app.services.idcard import IdNumberError, is_valid, normalize, parse_resident_id, upgrade_15
from conftest import gb11643_check_char


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


# -- the check character against an answer that does not come from the app (#28) ----------------------

# Real-format numbers (real county codes, real dates, sequence codes of either sex): one for each of the 11
# check values. The table is literal; the test below recomputes every check character with the oracle
# (conftest.gb11643_check_char, which make_id uses too).
ID_TABLE = (
    "610113202402293800",  # 0  西安雁塔, born on a 29 February
    "510107196307010471",  # 1  成都武侯
    "650102199912311582",  # 2  乌鲁木齐天山
    "370102201203151953",  # 3  济南历下
    "420106197208080104",  # 4  武汉武昌
    "440524195602290475",  # 5  汕头潮阳
    "320102200109090476",  # 6  南京玄武
    "530102194508150107",  # 7  昆明五华
    "230103198811110478",  # 8  哈尔滨南岗
    "370117198005170109",  # 9  济南钢城
    "11010519491231010X",  # X  北京朝阳
)

# Worked by hand (digit × weight, weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2), for the oracle itself:
HAND_WORKED = {
    # GB 11643-1999's own example: 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167 ≡ 2; 2 + 10 ≡ 1 → X
    "11010519491231002X": "X",
    # the standard's other example: 28+36+0+25+16+16+2+8+48+0+0+9+0+5+0+0+2 = 195 ≡ 8; 8 + 4 ≡ 1 → 4
    "440524188001010014": "4",
    # 21+63+0+5+8+28+2+9+48+0+0+45+10+35+0+4+0 = 278 ≡ 3; 3 + 9 = 12 ≡ 1 → 9
    "370117198005170109": "9",
    # 42+9+0+5+8+12+4+0+12+12+0+18+20+45+24+32+0 = 243 ≡ 1; 1 + 0 ≡ 1 → 0
    "610113202402293800": "0",
}


def test_the_oracle_agrees_with_the_hand_worked_numbers_and_the_standards_table():
    for number, check in HAND_WORKED.items():
        assert number[17] == check and gb11643_check_char(number[:17]) == check, number
    # The standard's table of Σ mod 11 → check character follows from the definition: (1 - r) mod 11, 10 as X.
    assert "".join("X" if (1 - r) % 11 == 10 else str((1 - r) % 11) for r in range(11)) == "10X98765432"


def test_the_table_covers_every_check_value():
    assert sorted(number[17] for number in ID_TABLE) == sorted("0123456789X")
    for number in ID_TABLE:
        assert gb11643_check_char(number[:17]) == number[17], number


@pytest.mark.parametrize("number", ID_TABLE + tuple(HAND_WORKED))
def test_every_check_value_is_accepted_and_every_other_character_refused(number):
    """A table with two characters swapped refuses 2 in 11 real numbers, and accepts a wrong one for each."""
    assert parse_resident_id(number).number == number
    assert parse_resident_id(number[:17] + number[17].lower()).number == number
    for wrong in "0123456789X".replace(number[17], ""):
        with pytest.raises(IdNumberError, match="身份证号校验位不正确"):
            parse_resident_id(number[:17] + wrong)
        assert not is_valid(number[:17] + wrong)


# -- the edges of the other checks, and the exact messages a clerk reads (mutation test, #28) ---------------

def test_born_today_is_taken_tomorrow_is_not():
    """A baby registered on the day it was born: the birth date may be today, not tomorrow."""
    from conftest import make_id

    born = date(2027, 3, 1)
    assert parse_resident_id(make_id(born), today=born).birth_date == born
    with pytest.raises(IdNumberError, match="2027年03月01日 不合理"):
        parse_resident_id(make_id(born), today=date(2027, 2, 28))


def test_births_before_1800_are_refused():
    """1800-01-01 is the earliest birth date taken (a typo such as 1750 is refused); 1799-12-31 is refused."""
    from conftest import make_id

    assert parse_resident_id(make_id(date(1800, 1, 1))).birth_date == date(1800, 1, 1)
    with pytest.raises(IdNumberError, match="1799年12月31日 不合理"):
        parse_resident_id(make_id(date(1799, 12, 31)))


@pytest.mark.parametrize("raw, message", [
    ("", "请填写身份证号"),
    ("99010519491231002X", "身份证号前两位不是有效的省份代码"),
    ("110105194912310021", "身份证号校验位不正确，请逐位核对号码"),
])
def test_the_messages_are_exactly_what_the_clerk_reads(raw, message):
    with pytest.raises(IdNumberError) as info:
        parse_resident_id(raw)
    assert str(info.value) == message


def test_the_check_character_needs_exactly_17_digits():
    """A number cut short or too long is an error, never a check character of some other length's sum."""
    from app.services.idcard import check_char

    assert check_char("11010519491231002") == "X"  # GB 11643's example, worked by hand above
    for wrong in ("1101051949123100", "110105194912310021"):
        with pytest.raises(ValueError):
            check_char(wrong)
