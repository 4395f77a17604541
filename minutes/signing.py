"""PAdES signature of the pöytäkirja with the municipality's seal (R50, R51; KL 90.1 § 2 k).

:func:`sign_pdf` adds one PAdES signature (``ETSI.CAdES.detached``) as an incremental update,
so the signed file is still the PDF/A-3b the renderer made (PDF/A allows incremental updates;
pyHanko keeps the XMP identification and updates the modification date in both the XMP and the
document information). The level is **B-T** when a time-stamping authority is configured — the
signature then carries an RFC 3161 signature time-stamp — and **B-B** otherwise.

The visible stamp in the bottom-left margin of the last page is itself rendered by WeasyPrint
(``templates/minutes/seal_stamp.html`` with the shipped DejaVu Sans) and imported as the
appearance stream, so its font is embedded like every other font of the file. (pyHanko's own
OpenType text stamps need ``uharfbuzz``, the ``pyhanko[opentype]`` extra, which the project does
not install; its default stamp uses the non-embedded Courier, which PDF/A forbids.)

:func:`validate_signature` checks the signatures offline with pyHanko's validator against the
given trust roots (no fetching of certificates or revocation data).

Settings (all paths; see :func:`seal_settings`): ``KOKOUS_SEAL_KEY_FILE``,
``KOKOUS_SEAL_CERT_FILE``, ``KOKOUS_SEAL_CHAIN_FILE`` (optional PEM bundle of intermediates),
``KOKOUS_SEAL_KEY_PASSPHRASE_FILE`` (optional), ``KOKOUS_SEAL_TRUST_ROOTS_FILE`` (optional,
defaults to the seal certificate itself, which is right for the self-signed demo seal only) and
``KOKOUS_TIMESTAMP_URL`` (optional RFC 3161 time-stamping service).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.content import PdfContent
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import VENDOR, DocumentMetadata
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import ValidationContext

from meetings.deadlines import HELSINKI
from minutes.pdf import FONT_FAMILY, render_pdf

__all__ = [
    "SEAL_FIELD_NAME",
    "STAMP_BOX_MM",
    "SealSettings",
    "SignatureCheck",
    "SignatureStatus",
    "configured_trust_roots",
    "create_demo_seal",
    "load_certificates",
    "load_seal_signer",
    "seal_settings",
    "sign_pdf",
    "validate_signature",
]

SEAL_FIELD_NAME = "Kuntasinetti"
#: Stamp position on the last page in mm from the bottom-left corner: (x, y, width, height).
#: It sits in the bottom margin (26 mm, see ``templates/minutes/print.css``), left of the
#: page number, so it never covers text.
STAMP_BOX_MM = (22.0, 6.0, 78.0, 14.0)
_PT_PER_MM = 72 / 25.4


class SealConfigurationError(RuntimeError):
    """The seal key or certificate cannot be loaded."""


@dataclass(frozen=True, slots=True)
class SealSettings:
    key_file: Path
    cert_file: Path
    chain_file: Path | None = None
    key_passphrase_file: Path | None = None
    trust_roots_file: Path | None = None
    timestamp_url: str | None = None


def seal_settings() -> SealSettings:
    """The seal configuration from Django settings; defaults point at the demo seal that
    ``manage.py minutes_demo_seal`` creates under ``VAR_DIR/seal/``."""
    seal_dir = Path(getattr(settings, "VAR_DIR", Path("var"))) / "seal"

    def optional(name: str) -> Path | None:
        value = getattr(settings, name, None)
        return Path(value) if value else None

    return SealSettings(
        key_file=Path(getattr(settings, "KOKOUS_SEAL_KEY_FILE", None) or seal_dir / "seal.key"),
        cert_file=Path(
            getattr(settings, "KOKOUS_SEAL_CERT_FILE", None) or seal_dir / "seal.pem"
        ),
        chain_file=optional("KOKOUS_SEAL_CHAIN_FILE"),
        key_passphrase_file=optional("KOKOUS_SEAL_KEY_PASSPHRASE_FILE"),
        trust_roots_file=optional("KOKOUS_SEAL_TRUST_ROOTS_FILE"),
        timestamp_url=getattr(settings, "KOKOUS_TIMESTAMP_URL", None) or None,
    )


def load_seal_signer(config: SealSettings | None = None) -> signers.SimpleSigner:
    """The municipality's seal (*sähköinen sinetti*) as a pyHanko signer."""
    config = config or seal_settings()
    passphrase = (
        config.key_passphrase_file.read_bytes().strip() if config.key_passphrase_file else None
    )
    signer = signers.SimpleSigner.load(
        str(config.key_file),
        str(config.cert_file),
        ca_chain_files=(str(config.chain_file),) if config.chain_file else None,
        key_passphrase=passphrase,
    )
    if signer is None:
        raise SealConfigurationError(
            f"cannot load the seal key {config.key_file} or certificate {config.cert_file}"
        )
    return signer


def configured_trust_roots(config: SealSettings | None = None) -> list[asn1_x509.Certificate]:
    """Roots for :func:`validate_signature` from ``KOKOUS_SEAL_TRUST_ROOTS_FILE``; without it,
    the seal certificate itself (right only for the self-signed demo seal)."""
    config = config or seal_settings()
    return load_certificates(config.trust_roots_file or config.cert_file)


def load_certificates(source: Path | str | bytes) -> list[asn1_x509.Certificate]:
    """Certificates from a PEM bundle or a DER file (path) or from PEM/DER bytes."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if pem.detect(data):
        return [asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
    return [asn1_x509.Certificate.load(data)]


# ---------------------------------------------------------------------------------------------
# Signing


class _PinnedTimeMetadata(DocumentMetadata):
    """Document metadata whose ``"now"`` is one fixed second.

    pyHanko writes the modification date into the document information and into the XMP
    from two separate clock readings; PDF/A wants the two to be equivalent, so both get this
    one moment.
    """

    def __init__(self, moment: datetime) -> None:
        object.__setattr__(self, "_moment", moment)
        super().__init__()

    def __setattr__(self, name: str, value: object) -> None:
        if name == "last_modified" and value == "now":
            value = self._moment
        super().__setattr__(name, value)


class _PdfAIncrementalWriter(IncrementalPdfFileWriter):
    """An incremental writer that keeps the document information equivalent to the XMP
    metadata, as PDF/A requires (ISO 19005-3, 6.6.2.3): pyHanko sets the XMP ``pdf:Producer``
    to its own name but appends that name to the information ``/Producer``; here both say the
    same, and the modification dates are the same second."""

    def __init__(self, input_stream: BytesIO) -> None:
        super().__init__(input_stream)
        self._meta = _PinnedTimeMetadata(datetime.now(tz=UTC).replace(microsecond=0))

    def _update_meta(self) -> None:
        if self._info is not None:
            info = self._info.get_object()
            if info.get("/Producer") != VENDOR:
                info["/Producer"] = generic.TextStringObject(VENDOR)
                self.update_container(info)
        super()._update_meta()


class _RenderedPage(PdfContent):
    """The first page of a PDF (given as bytes) as a form XObject — the stamp's appearance."""

    def __init__(self, pdf_bytes: bytes) -> None:
        super().__init__()
        self._pdf_bytes = pdf_bytes

    def render(self) -> bytes:
        reader = PdfFileReader(BytesIO(self._pdf_bytes))
        xobject = self._ensure_writer.import_page_as_xobject(reader, page_ix=0)
        self.resources.xobject["/KokousSealStamp"] = xobject
        x1, y1, x2, y2 = xobject.get_object()["/BBox"]
        self.box = layout.BoxConstraints(width=abs(x2 - x1), height=abs(y2 - y1))
        return b"/KokousSealStamp Do"


def _subject_name(cert: asn1_x509.Certificate) -> str:
    subject = cert.subject.native
    return str(subject.get("common_name") or subject.get("organization_name") or "")


def _stamp_pdf(signer_name: str, reason: str, at: datetime, lang: str) -> bytes:
    context = {
        "signer": signer_name, "reason": reason, "at": at, "lang": lang,
        "width_mm": f"{STAMP_BOX_MM[2]:g}", "height_mm": f"{STAMP_BOX_MM[3]:g}",
        "font_family": FONT_FAMILY,
    }
    with translation.override(lang):
        html = render_to_string("minutes/seal_stamp.html", context)
        css = render_to_string("minutes/seal_stamp.css", context)
    return render_pdf(html, created=at, title=signer_name or "seal", lang=lang, stylesheets=[css])


def sign_pdf(
    pdf_bytes: bytes,
    signer: signers.Signer,
    *,
    reason: str,
    location: str,
    timestamp_url: str | None = None,
    timestamper: TimeStamper | None = None,
    field_name: str = SEAL_FIELD_NAME,
    visible: bool = True,
    lang: str = "fi",
) -> bytes:
    """Sign a PDF/A pöytäkirja with a PAdES signature; returns the signed file.

    B-T with a signature time-stamp when ``timestamp_url`` (or a ready ``timestamper``) is
    given, else B-B. ``reason`` and ``location`` go into the signature dictionary (e.g.
    *"Pöytäkirjan varmennus"*, the municipality). With ``visible`` a stamp naming the signer
    and the time is drawn in the bottom margin of the last page.
    """
    if timestamper is None and timestamp_url:
        timestamper = HTTPTimeStamper(timestamp_url)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason,
        location=location,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        embed_validation_info=False,
        use_pades_lta=False,
    )
    writer = _PdfAIncrementalWriter(BytesIO(pdf_bytes))
    stamp_style = None
    field_spec = None
    if visible:
        x, y, width, height = (v * _PT_PER_MM for v in STAMP_BOX_MM)
        field_spec = fields.SigFieldSpec(
            sig_field_name=field_name, on_page=-1,
            box=(int(x), int(y), int(x + width), int(y + height)),
        )
        signer_name = _subject_name(signer.signing_cert) if signer.signing_cert else ""
        stamp_style = StaticStampStyle(
            background=_RenderedPage(
                _stamp_pdf(signer_name, reason, datetime.now(tz=HELSINKI), lang)
            ),
            border_width=0,
            background_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MID,
                y_align=layout.AxisAlignment.ALIGN_MID,
                margins=layout.Margins.uniform(0),
            ),
        )
    else:
        field_spec = fields.SigFieldSpec(sig_field_name=field_name, on_page=-1)
    pdf_signer = signers.PdfSigner(
        meta, signer, timestamper=timestamper, stamp_style=stamp_style,
        new_field_spec=field_spec,
    )
    output = BytesIO()
    pdf_signer.sign_pdf(writer, output=output)
    return output.getvalue()


# ---------------------------------------------------------------------------------------------
# Validation


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """The verdict on one embedded signature."""

    field_name: str
    intact: bool  # the signed bytes are unchanged
    valid: bool  # the cryptographic signature is correct
    trusted: bool  # the signer's certificate chains to a given trust root
    covers_entire_file: bool  # nothing was appended after this signature
    modification_level: str  # pyHanko's assessment of later incremental updates
    signer: str
    signing_time: datetime | None
    level: str  # "B-B" or "B-T"
    timestamp_ok: bool | None  # None without a signature time-stamp
    summary: str

    @property
    def ok(self) -> bool:
        return (
            self.intact and self.valid and self.trusted
            and self.timestamp_ok is not False
        )


@dataclass(frozen=True, slots=True)
class SignatureStatus:
    """All signatures of a file; :attr:`ok` iff there is at least one, every one is intact,
    valid and trusted, and the last one covers the whole file."""

    signatures: tuple[SignatureCheck, ...] = ()
    error: str = ""

    @property
    def ok(self) -> bool:
        return (
            not self.error
            and bool(self.signatures)
            and all(s.ok for s in self.signatures)
            and self.signatures[-1].covers_entire_file
        )


def validate_signature(
    pdf_bytes: bytes,
    trust_roots: Iterable[asn1_x509.Certificate | bytes | Path | str],
) -> SignatureStatus:
    """Validate every signature of ``pdf_bytes`` offline against ``trust_roots`` (certificates,
    or PEM/DER bytes or files). Never raises for a damaged or hostile file: the error is
    reported in the status."""
    roots: list[asn1_x509.Certificate] = []
    for root in trust_roots:
        roots.extend([root] if isinstance(root, asn1_x509.Certificate) else load_certificates(root))
    context = ValidationContext(
        trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail"
    )
    try:
        reader = PdfFileReader(BytesIO(pdf_bytes), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception as exc:  # a damaged file is a failed validation, not a crash
        return SignatureStatus(error=f"{type(exc).__name__}: {exc}")
    if not embedded:
        return SignatureStatus(error="no signatures")
    checks = []
    for signature in embedded:
        try:
            status = validate_pdf_signature(
                signature, signer_validation_context=context, ts_validation_context=context
            )
        except Exception as exc:
            return SignatureStatus(
                signatures=tuple(checks), error=f"{type(exc).__name__}: {exc}"
            )
        ts = status.timestamp_validity
        checks.append(
            SignatureCheck(
                field_name=str(signature.field_name),
                intact=bool(status.intact),
                valid=bool(status.valid),
                trusted=bool(status.trusted),
                covers_entire_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
                modification_level=(
                    status.modification_level.name if status.modification_level else "UNKNOWN"
                ),
                signer=_subject_name(status.signing_cert) if status.signing_cert else "",
                signing_time=ts.timestamp if ts is not None else status.signer_reported_dt,
                level="B-T" if ts is not None else "B-B",
                timestamp_ok=None if ts is None else bool(ts.intact and ts.valid and ts.trusted),
                summary=status.summary(),
            )
        )
    return SignatureStatus(signatures=tuple(checks))


# ---------------------------------------------------------------------------------------------
# Demo seal


def create_demo_seal(
    directory: Path,
    *,
    organization: str = "Esimerkkilän kunta",
    days: int = 825,
    overwrite: bool = False,
    key_size: int = 3072,
) -> tuple[Path, Path]:
    """A self-signed *demo* seal certificate and its RSA key in ``directory`` (``seal.key``,
    mode 0600, and ``seal.pem``). Not a qualified seal: for ``make run`` and tests only."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    key_path, cert_path = directory / "seal.key", directory / "seal.pem"
    if not overwrite and (key_path.exists() or cert_path.exists()):
        raise FileExistsError(f"a seal already exists in {directory}")
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "FI"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        x509.NameAttribute(NameOID.COMMON_NAME, f"{organization} – demosinetti (ei oikea)"),
    ])
    now = datetime.now(tz=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    if overwrite:
        key_path.unlink(missing_ok=True)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key_pem)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path
