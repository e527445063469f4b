"""Sync to a district that answers HTTPS with its own root certificate (#27), over real TLS on 127.0.0.1.

The clerk picked the district's certificate from a USB stick; the program kept its path, and every sync
failed once the stick was out — in English. And requests lets REQUESTS_CA_BUNDLE override the certificate
given, so `--ca-file` was silently ignored where that variable is set."""

from __future__ import annotations

import re

import datetime as dt
import ipaddress
from pathlib import Path

import pytest
import requests

from app.db import Store
from app.services.station import init_station
from sync.client import CA_FILENAME, SyncClient, SyncError, keep_certificate, load_state, save_state
from sync.server import admin
from sync_helpers import DistrictServer


def _authority(folder: Path, name: str) -> tuple[Path, Path, Path]:
    """A root certificate and a server certificate for 127.0.0.1 signed by it: (root, server cert, server key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    root = (x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name).public_key(root_key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    server = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
              .issuer_name(root_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now).not_valid_after(now + dt.timedelta(days=3650))
              .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
              .sign(root_key, hashes.SHA256()))
    paths = folder / "root.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(root.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


@pytest.fixture
def https_district(tmp_path):
    root, cert, key = _authority(tmp_path / "district-ca", "钢城区文明实践中心 根证书")
    server = DistrictServer(f"sqlite:///{tmp_path / 'district.db'}", tls=(cert, key))
    server.start()
    yield server, root
    server.close()


@pytest.fixture
def station(tmp_path):
    store = Store.open(tmp_path / "station")
    init_station(store, name="杨家庄村新时代文明实践站", kind="village")
    yield store
    store.close()


def test_the_certificate_from_a_stick_is_kept_and_wins_over_the_environment(https_district, station, tmp_path, monkeypatch):
    district, root = https_district
    stick = tmp_path / "U盘"
    stick.mkdir()
    on_stick = stick / "区里的根证书.crt"
    on_stick.write_bytes(root.read_bytes())
    other_root = _authority(tmp_path / "other-ca", "别的根证书")[0]
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other_root))  # a bundle that does not know the district
    code = admin.add_station(district.engine, "杨家庄村")
    assert SyncClient(station, max_retry_seconds=0).enroll(district.base, code, ca_file=str(on_stick)) == "杨家庄村"
    assert load_state(station).ca_file == CA_FILENAME
    assert (station.paths.root / CA_FILENAME).read_bytes() == root.read_bytes()
    on_stick.unlink()  # the stick is out
    stick.rmdir()
    result = SyncClient(station, max_retry_seconds=0).sync()
    assert result.pushed > 0 and result.rejected == 0


def test_a_district_certificate_nobody_trusts_is_said_in_chinese(https_district, station, monkeypatch):
    district, root = https_district
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    code = admin.add_station(district.engine, "杨家庄村")
    with pytest.raises(SyncError, match="无法验证区里服务器的证书") as refused:
        SyncClient(station, max_retry_seconds=0).enroll(district.base, code)
    # why, in Chinese, and what to do — not the library's class name (a trial read “（SSLError）”)
    assert "根证书" in str(refused.value) and not re.search("[A-Za-z]{3,}", str(refused.value)), str(refused.value)
    assert requests.get(district.base + "/healthz", verify=str(root), timeout=10).status_code == 200  # up, with its root


def test_a_certificate_kept_as_a_path_that_is_gone_is_named_with_what_to_do(https_district, station, tmp_path):
    district, root = https_district
    code = admin.add_station(district.engine, "杨家庄村")
    SyncClient(station, max_retry_seconds=0).enroll(district.base, code, ca_file=str(root))
    save_state(station, ca_file=str(tmp_path / "E" / "root.pem"))  # as an older version kept it: a path, now gone
    with pytest.raises(SyncError, match="找不到区里的根证书.*拔下的U盘.*更换证书"):
        SyncClient(station, max_retry_seconds=0).sync()
    keep_certificate(station, root)  # 更换证书…
    assert SyncClient(station, max_retry_seconds=0).sync().rejected == 0


@pytest.mark.parametrize("content", [b"", b"not a certificate", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"])
def test_a_file_that_is_no_certificate_is_refused_naming_it(station, tmp_path, content):
    path = tmp_path / "证书.pem"
    path.write_bytes(content)
    with pytest.raises(SyncError, match="“证书.pem”不是有效的证书文件"):
        keep_certificate(station, path)
    assert not (station.paths.root / CA_FILENAME).exists() and load_state(station).ca_file == ""


def test_a_der_certificate_is_kept_as_pem(station, tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    root = _authority(tmp_path / "ca", "根证书")[0]
    der = tmp_path / "root.cer"
    der.write_bytes(x509.load_pem_x509_certificate(root.read_bytes()).public_bytes(Encoding.DER))
    keep_certificate(station, der)
    assert (station.paths.root / CA_FILENAME).read_bytes() == root.read_bytes()


def test_the_sync_page_shows_the_kept_certificate_and_changes_it(qtbot, https_district, demo_store, tmp_path, monkeypatch):
    """The 同步 page hid the certificate once enrolled: nowhere to change it when the district renews its own."""
    from PySide6.QtCore import Qt

    from app.services import operators
    from app.services.context import Context
    from app.settings import Settings
    from ui import saving
    from ui.main_window import MainWindow
    from ui_helpers import type_text

    district, root = https_district
    code = admin.add_station(district.engine, "杨家庄村", "艾山街道")
    window = MainWindow(Context(store=demo_store, actor=operators.authenticate(demo_store, "admin", "admin123")),
                        Settings(demo_store.paths.settings))
    qtbot.addWidget(window)
    window.show()
    window.go("sync")
    page = window.pages["sync"]
    stick = tmp_path / "E"
    stick.mkdir()
    picked = [stick / "说明.txt"]
    picked[0].write_text("这不是证书", encoding="utf-8")
    monkeypatch.setattr(saving, "choose_files", lambda _dialog: [str(picked[0])])
    qtbot.mouseClick(page.enroll_box.findChildren(type(page.enroll_button))[0], Qt.MouseButton.LeftButton)  # 选择…
    assert "不是有效的证书文件" in page.enroll_error.text() and page.ca_file.text() == ""  # said when picked
    picked[0] = stick / "root.crt"
    picked[0].write_bytes(root.read_bytes())
    qtbot.mouseClick(page.enroll_box.findChildren(type(page.enroll_button))[0], Qt.MouseButton.LeftButton)  # 选择…
    assert page.ca_file.text() == str(picked[0])
    type_text(qtbot, page.server, district.base)
    type_text(qtbot, page.code, code)
    qtbot.mouseClick(page.enroll_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.status_box.isEnabled(), timeout=10_000)
    assert "钢城区文明实践中心 根证书" in page.certificate_label.text() and "有效期至" in page.certificate_label.text()
    picked[0].unlink()  # the stick is out: the copy in the data folder is what counts
    with qtbot.waitSignal(page.finished, timeout=60_000) as done:
        qtbot.mouseClick(page.sync_button, Qt.MouseButton.LeftButton)
    assert done.args == [True], page.error.text()

    picked[0] = tmp_path / "说明.txt"
    picked[0].write_text("这不是证书", encoding="utf-8")
    assert page.change_certificate.isVisible()
    qtbot.mouseClick(page.change_certificate, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.certificate_error.isVisible(), timeout=10_000)
    assert "“说明.txt”不是有效的证书文件" in page.certificate_error.text() and not page.error.isVisible()
    renewed = _authority(tmp_path / "renewed", "钢城区文明实践中心 新根证书")[0]
    picked[0] = renewed
    qtbot.mouseClick(page.change_certificate, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "新根证书" in page.certificate_label.text(), timeout=10_000)
    assert not page.certificate_error.isVisible()  # the earlier refusal goes once a certificate is taken
    assert (demo_store.paths.root / CA_FILENAME).read_bytes() == renewed.read_bytes()
    window.idle.stop()


@pytest.mark.parametrize("openssl, said", [
    ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for "
     "'localhost'. (_ssl.c:1006)", "名称与服务器地址不符"),
    ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired (_ssl.c:1006)", "已过期"),
    ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain "
     "(_ssl.c:1006)", "根证书签发"),
    ("[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)", "https:// 开头"),  # an http server
])
def test_each_tls_refusal_is_said_with_what_to_do(openssl, said):
    from sync.client import tls_problem

    text = tls_problem(requests.exceptions.SSLError(openssl))
    assert said in text and not re.search("[A-Za-z]{3,}", text.replace("https://", "")), text
