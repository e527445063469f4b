"""The station's Ed25519 key and what a certificate's QR code states (app/signing.py), each checked against an
answer worked out by hand or given by the standard (RFC 4648 base64url, RFC 8032's test vector), not by the
module itself (#28)."""

from __future__ import annotations

from datetime import date

import pytest

from app import signing
from app.signing import CertificatePayload


def test_base64url_without_padding_both_ways():
    # RFC 4648 §10's vectors, url-safe alphabet, "=" dropped; 0xfb 0xff is where "+/" and "-_" differ.
    for raw, text in ((b"", ""), (b"f", "Zg"), (b"fo", "Zm8"), (b"foo", "Zm9v"), (b"foob", "Zm9vYg"), (b"fooba", "Zm9vYmE"),
                      (b"foobar", "Zm9vYmFy"), (b"foobarb", "Zm9vYmFyYg"), (b"foobarba", "Zm9vYmFyYmE"), (b"\xfb\xff", "-_8"),
                      (b"\x00\x00\x17", "AAAX")):  # 23 is "X": only "=" is stripped
        assert signing.b64(raw) == text
        assert signing.unb64(text) == raw


# RFC 8032 §7.1, TEST 2: a known key, message 0x72 and its signature.
RFC_PUBLIC = bytes.fromhex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
RFC_MESSAGE = bytes.fromhex("72")
RFC_SIGNATURE = bytes.fromhex("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
                              "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")


def test_verify_against_the_rfc_vector():
    public, signature = signing.b64(RFC_PUBLIC), signing.b64(RFC_SIGNATURE)
    assert signing.verify(public, RFC_MESSAGE.decode("latin-1"), signature)
    assert not signing.verify(public, "s", signature)  # another message
    assert not signing.verify(public, RFC_MESSAGE.decode("latin-1"), signing.b64(RFC_SIGNATURE[:-1] + b"\x01"))


@pytest.mark.parametrize("signature", ["", "A", "not base64 at all!", "A" * 86, "A" * 200])
def test_verify_never_raises_and_never_accepts_rubbish(signature):
    assert signing.verify(signing.b64(RFC_PUBLIC), "r", signature) is False
    assert signing.verify("", "r", signing.b64(RFC_SIGNATURE)) is False  # no key
    assert signing.verify("short", "r", signing.b64(RFC_SIGNATURE)) is False


def test_the_station_signs_with_one_key_made_once(store):
    with store.session() as session:
        key = signing.public_key(session)
        assert len(signing.unb64(key)) == 32
        signature = signing.sign(session, "ZM1|示例")
        assert signing.public_key(session) == key  # not a new key for each question
        session.commit()
    assert len(signing.unb64(signature)) == 64
    assert signing.verify(key, "ZM1|示例", signature)
    assert not signing.verify(key, "ZM1|示例 ", signature)
    with store.session() as session:
        assert signing.public_key(session) == key  # kept in the store


def test_the_payload_text_and_back():
    payload = CertificatePayload("ZS-ABC123-0007", "王*英", date(2026, 1, 1), date(2026, 12, 31), 12.5)
    assert payload.text() == "ZM1|ZS-ABC123-0007|王*英|2026-01-01|2026-12-31|12.5"
    assert CertificatePayload.parse(payload.text()) == payload
    assert CertificatePayload("N", "李*", date(2026, 1, 1), date(2026, 1, 31), 30.0).text() == "ZM1|N|李*|2026-01-01|2026-01-31|30"


@pytest.mark.parametrize("text", [
    "ZM2|N|李*|2026-01-01|2026-01-31|30",  # another version
    "ZM1|N|李*|2026-01-01|2026-01-31",  # a part missing
    "ZM1|N|李*|2026-01-01|2026-01-31|30|x",  # one too many
    "ZM1|N|李*|2026-02-30|2026-03-31|30",  # no such day
    "ZM1|N|李*|2026-01-01|2026-01-31|三十",
    "",
])
def test_a_payload_that_is_not_one_is_none(text):
    assert CertificatePayload.parse(text) is None


def test_station_code_and_masked_names():
    assert signing.station_code("ab-12_cd34ef") == "AB12CD"  # letters and digits only, upper case, six
    assert signing.station_code("x-1") == "X1"
    assert signing.mask_name("王秀英") == "王*英"
    assert signing.mask_name("欧阳娜娜") == "欧**娜"
    assert signing.mask_name("李明") == "李*"
    assert signing.mask_name("张") == "张"
    assert signing.mask_name("") == ""
