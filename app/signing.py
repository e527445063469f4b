"""The station's own signing key (Ed25519), and what it signs: the 志愿服务记录证明 a volunteer carries away.

The key is made once per store and kept in it (so every backup carries it, and a restored PC signs as the
station did); its public half is registered with the district when the station syncs. Only the station holds
the private half — never the sync token, which the district also knows — so a certificate the district
verifies by its signature can only have been issued by that station (#26).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from .models import StationKey
from .models.base import utcnow

PAYLOAD_VERSION = "ZM1"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key_row(session: Session) -> StationKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    row = session.get(StationKey, 1)
    if row is None:
        private = Ed25519PrivateKey.generate()
        raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        row = StationKey(id=1, private_key=b64(raw), public_key=b64(public), created_at=utcnow())
        session.add(row)
        session.flush()
    return row


def public_key(session: Session) -> str:
    """The station's public key (base64url of 32 bytes), made on first use."""
    return _key_row(session).public_key


def sign(session: Session, message: str) -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.from_private_bytes(unb64(_key_row(session).private_key))
    return b64(private.sign(message.encode("utf-8")))


def verify(public_b64: str, message: str, signature_b64: str) -> bool:
    """Whether ``signature_b64`` is the holder of ``public_b64``'s signature of ``message``; never raises."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(unb64(public_b64)).verify(unb64(signature_b64), message.encode("utf-8"))
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


@dataclass(frozen=True)
class CertificatePayload:
    """What a certificate's QR code states, signed: enough to check the paper without the register."""

    number: str
    masked_name: str
    date_from: date
    date_to: date
    hours: float

    def text(self) -> str:
        return "|".join([PAYLOAD_VERSION, self.number, self.masked_name, self.date_from.isoformat(), self.date_to.isoformat(),
                         f"{self.hours:g}"])

    @staticmethod
    def parse(text: str) -> "CertificatePayload | None":
        parts = text.split("|")
        if len(parts) != 6 or parts[0] != PAYLOAD_VERSION:
            return None
        try:
            return CertificatePayload(parts[1], parts[2], date.fromisoformat(parts[3]), date.fromisoformat(parts[4]), float(parts[5]))
        except ValueError:
            return None


def station_code(station_id: str) -> str:
    """Six letters and digits of the station's own id: certificates of different stations never share a number,
    and the district tells from a number which station issued it."""
    return "".join(c for c in station_id.upper() if c.isalnum())[:6]


def mask_name(name: str) -> str:
    """王秀英 → 王*英, 李明 → 李*: the certificate's holder recognisable, the name not published in full."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
