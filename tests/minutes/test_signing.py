"""PAdES signature of the pöytäkirja with the seal, offline validation (R50, R51)."""

from __future__ import annotations

import asyncio
import io
import os
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pikepdf
import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.core.management import call_command
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from minutes.signing import (
    SEAL_FIELD_NAME,
    SealSettings,
    configured_trust_roots,
    load_certificates,
    load_seal_signer,
    seal_settings,
    sign_pdf,
    validate_signature,
)
from tests.minutes.test_pdf import assert_all_fonts_embedded, qpdf_check


@pytest.fixture(scope="module")
def signer(demo_seal):
    key, cert = demo_seal
    return load_seal_signer(SealSettings(key_file=key, cert_file=cert))


@pytest.fixture(scope="module")
def signed_pdf(minutes_pdf, signer):
    return sign_pdf(minutes_pdf, signer, reason="Pöytäkirjan varmennus", location="Esimerkkilä")


def test_signed_minutes_validate(signed_pdf, demo_seal):
    """B-B without a time-stamping authority: intact, valid, trusted via the demo root."""
    status = validate_signature(signed_pdf, [demo_seal[1]])
    assert status.ok, status
    (check,) = status.signatures
    assert check.intact and check.valid and check.trusted and check.covers_entire_file
    assert check.field_name == SEAL_FIELD_NAME
    assert check.level == "B-B" and check.timestamp_ok is None
    assert check.signer == "Esimerkkilän kunta – demosinetti (ei oikea)"
    assert check.modification_level == "NONE"


def test_signed_bytes_extend_the_unsigned_file(signed_pdf, minutes_pdf):
    """The signature is an incremental update: the rendered PDF/A is kept byte for byte."""
    assert signed_pdf.startswith(minutes_pdf)


def test_changed_byte_fails_validation(signed_pdf, demo_seal):
    # A byte inside the first stream (the sRGB profile): the file still parses, the digest
    # of the signed byte ranges no longer matches.
    inside = signed_pdf.index(b"stream\n") + 100
    tampered = bytearray(signed_pdf)
    tampered[inside] ^= 0xFF
    status = validate_signature(bytes(tampered), [demo_seal[1]])
    assert not status.ok
    assert not status.signatures[0].intact
    flipped = bytearray(signed_pdf)
    flipped[len(flipped) // 3] ^= 0x01
    assert not validate_signature(bytes(flipped), [demo_seal[1]]).ok


def test_appended_data_is_not_covered(signed_pdf, demo_seal):
    status = validate_signature(signed_pdf + b"\n% appended after signing\n", [demo_seal[1]])
    assert not status.ok


def test_other_root_is_not_trusted(signed_pdf, tmp_path):
    from minutes.signing import create_demo_seal

    _, other_cert = create_demo_seal(tmp_path / "other", organization="Muu kunta", key_size=2048)
    status = validate_signature(signed_pdf, [other_cert])
    assert not status.ok
    assert status.signatures[0].intact and not status.signatures[0].trusted


def test_unsigned_and_garbage_files(minutes_pdf, demo_seal):
    assert validate_signature(minutes_pdf, [demo_seal[1]]).error == "no signatures"
    garbage = validate_signature(b"%PDF-1.7\nnot really", [demo_seal[1]])
    assert not garbage.ok and garbage.error


def test_signed_pdf_stays_pdfa(signed_pdf, tmp_path):
    """PDF/A identification kept; information dictionary and XMP agree; fonts embedded."""
    with pikepdf.open(io.BytesIO(signed_pdf)) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "3" and meta["pdfaid:conformance"] == "B"
        assert str(pdf.docinfo["/Producer"]) == meta["pdf:Producer"]
        modified = datetime.fromisoformat(meta["xmp:ModifyDate"])
        info_modified = str(pdf.docinfo["/ModDate"])
        assert info_modified == modified.astimezone(UTC).strftime("D:%Y%m%d%H%M%SZ")
        assert meta["xmp:CreateDate"] == "2026-03-18T10:00:00+00:00"
        assert pdf.Root.OutputIntents[0].S == "/GTS_PDFA1"
        assert pdf.Root.AF[0].AFRelationship == "/Data"
        widget = pdf.Root.AcroForm.Fields[0]
        assert widget.FT == "/Sig" and int(widget.F) & 4  # printable (PDF/A 6.3.2)
        assert int(widget.F) & 0b11 == 0  # neither invisible nor hidden
        assert widget.P.objgen == pdf.pages[-1].obj.objgen
    assert_all_fonts_embedded(signed_pdf, tmp_path)
    qpdf_check(signed_pdf, tmp_path)


def test_invisible_signature(minutes_pdf, signer, demo_seal):
    signed = sign_pdf(minutes_pdf, signer, reason="r", location="l", visible=False)
    assert validate_signature(signed, [demo_seal[1]]).ok


# --- B-T with a local RFC 3161 time-stamping authority --------------------------------------


def _tsa_material():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Testi-TSA")])
    now = datetime.now(tz=UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True)
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False),
                       True)
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    key_der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return asn1_x509.Certificate.load(der), asn1_keys.PrivateKeyInfo.load(key_der), der


@pytest.fixture(scope="module")
def tsa():
    """An RFC 3161 TSA over HTTP on 127.0.0.1 (pyHanko's DummyTimeStamper behind it)."""
    cert, key, der = _tsa_material()
    stamper = DummyTimeStamper(tsa_cert=cert, tsa_key=key)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server API
            body = self.rfile.read(int(self.headers["Content-Length"]))
            request = tsp.TimeStampReq.load(body)
            response = asyncio.run(stamper.async_request_tsa_response(request)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(response)))
            self.end_headers()
            self.wfile.write(response)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", der
    server.shutdown()
    server.server_close()


def test_timestamped_signature_is_b_t(minutes_pdf, signer, demo_seal, tsa):
    """With a time-stamping authority configured the level is B-T."""
    url, tsa_der = tsa
    signed = sign_pdf(minutes_pdf, signer, reason="Pöytäkirjan varmennus",
                      location="Esimerkkilä", timestamp_url=url)
    status = validate_signature(signed, [demo_seal[1], tsa_der])
    assert status.ok, status
    check = status.signatures[0]
    assert check.level == "B-T" and check.timestamp_ok is True
    assert abs(check.signing_time - datetime.now(tz=UTC)) < timedelta(minutes=5)
    # Without trusting the TSA the signature time-stamp is not accepted.
    assert not validate_signature(signed, [demo_seal[1]]).ok


# --- configuration and the demo seal command --------------------------------------------------


def test_demo_seal_command(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    settings.KOKOUS_SEAL_KEY_FILE = None
    settings.KOKOUS_SEAL_CERT_FILE = None
    call_command("minutes_demo_seal")
    config = seal_settings()
    assert config.key_file == tmp_path / "seal" / "seal.key"
    assert os.stat(config.key_file).st_mode & 0o777 == 0o600
    (cert,) = load_certificates(config.cert_file)
    assert cert.subject.native["country_name"] == "FI"
    assert cert.key_usage_value.native == {"digital_signature", "non_repudiation"}
    signer = load_seal_signer()
    assert signer.signing_cert.dump() == cert.dump()
    assert [c.dump() for c in configured_trust_roots()] == [cert.dump()]
    call_command("minutes_demo_seal", "--if-missing")
    assert load_certificates(config.cert_file)[0].dump() == cert.dump()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="exists"):
        call_command("minutes_demo_seal")
    call_command("minutes_demo_seal", "--force")
    assert load_certificates(config.cert_file)[0].dump() != cert.dump()


def test_demo_seal_command_refuses_configured_real_seal(tmp_path, settings):
    from django.core.management.base import CommandError

    settings.KOKOUS_SEAL_KEY_FILE = str(tmp_path / "hsm-export.key")
    settings.KOKOUS_SEAL_CERT_FILE = str(tmp_path / "seal.pem")
    with pytest.raises(CommandError, match="real seal"):
        call_command("minutes_demo_seal")


def test_unloadable_seal_is_a_configuration_error(tmp_path):
    from minutes.signing import SealConfigurationError

    with pytest.raises(SealConfigurationError):
        load_seal_signer(SealSettings(key_file=tmp_path / "no.key", cert_file=tmp_path / "no"))
