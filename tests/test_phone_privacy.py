import logging

import pytest

from app.privacy import RedactingFilter, mask_id_number, mask_phone, redact
from app.services.phone import PhoneError, normalize_phone, phone_tail


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("0531-76512345", "0531-76512345"),
        ("053176512345", "053176512345"),
        ("010-62345678", "010-62345678"),
        ("0531-76512345-801", "0531-76512345-801"),
    ],
)
def test_valid_phones(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12345678901", "1381234567", "76512345", "abc", "0531-1234"])
def test_invalid_phones_name_the_field(raw):
    with pytest.raises(PhoneError) as info:
        normalize_phone(raw)
    assert "联系电话" in str(info.value)
    # a landline is accepted: the message says how to write one, not only the mobile's rule (a trial)
    assert "0531-76543210" in str(info.value)


def test_phone_tail():
    assert phone_tail("0531-76512345") == "2345"


def test_masks():
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0531-76512345") == "0531-7651****"
    assert mask_id_number("") == ""


def test_redact_free_text():
    text = "张三 11010519491231002X 电话13812345678，旧证110105491231002"
    out = redact(text)
    assert "11010519491231002X" not in out and "13812345678" not in out and "110105491231002" not in out
    assert "110105********002X" in out and "138****5678" in out


def test_redacting_filter_masks_log_records(caplog):
    logger = logging.getLogger("test.redact")
    handler_filter = RedactingFilter()
    caplog.handler.addFilter(handler_filter)
    try:
        logger.warning("导入失败：%s %s", "11010519491231002X", "13812345678")
    finally:
        caplog.handler.removeFilter(handler_filter)
    assert "11010519491231002X" not in caplog.text
    assert "110105********002X" in caplog.text


def test_every_spelling_of_a_phone_is_masked_in_free_text():
    for written, masked in [("+8613812345678", "+86138****5678"), ("+86 138 1234 5678", "+86 138 **** 5678"),
                            ("138-1234-5678", "138-****-5678"), ("138 1234 5678", "138 **** 5678"),
                            ("008613812345678", "0086138****5678"), ("13812345678", "138****5678")]:
        out = redact(f"电话：{written}。")
        assert "1234" not in out and masked in out, (written, out)
    assert redact("订单号 2138123456789012") == "订单号 2138123456789012"  # not a phone: digits on both sides


def test_tracebacks_in_logs_are_masked(tmp_path):
    from app.logs import setup_logging

    path = setup_logging(tmp_path / "logs")
    try:
        raise ValueError("身份证号 11010519491231002X 电话 138-1234-5678 无法保存")
    except ValueError:
        logging.getLogger("test.traceback").exception("保存失败")
    for handler in logging.getLogger().handlers:
        handler.flush()
    written = path.read_text(encoding="utf-8")
    assert "Traceback" in written and "保存失败" in written
    assert "11010519491231002X" not in written and "1234-5678" not in written
    assert "110105********002X" in written
