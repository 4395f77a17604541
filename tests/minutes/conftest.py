"""Fixtures of the minutes tests: the sample pöytäkirja, its renderings (once per session, since
rendering takes a second), a demo seal and PDF inspection helpers (poppler's pdftotext)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from minutes.document import MinutesDocument
from minutes.render import (
    personal_data_removed_version,
    public_version,
    render_html,
    render_minutes_pdf,
)
from minutes.samples import sample_minutes
from minutes.signing import create_demo_seal

REQUIRED_TOOLS = ("pdftotext", "pdffonts", "qpdf")


def pytest_configure(config: pytest.Config) -> None:
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if missing:  # never skip silently: the Makefile's SYSTEM_PACKAGES install them
        raise pytest.UsageError(
            f"minutes tests need {', '.join(missing)} (Debian: qpdf, poppler-utils)"
        )


def pdf_text(pdf: bytes) -> str:
    """The text of a PDF in content order (``-raw``: a table row's cells stay together),
    whitespace-normalised (wrapped lines joined)."""
    result = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True,
        check=True,
    )
    return " ".join(result.stdout.decode("utf-8").split())


def run_on_file(tool: list[str], pdf: bytes, tmp_dir: Path) -> subprocess.CompletedProcess:
    """Run a poppler/qpdf tool on ``pdf`` written to a file (qpdf cannot read stdin)."""
    path = tmp_dir / "check.pdf"
    path.write_bytes(pdf)
    return subprocess.run([*tool, str(path)], capture_output=True)


@pytest.fixture(scope="session")
def sample() -> MinutesDocument:
    return sample_minutes()


@pytest.fixture(scope="session")
def minutes_pdf(sample: MinutesDocument) -> bytes:
    return render_minutes_pdf(sample)


@pytest.fixture(scope="session")
def public_doc(sample: MinutesDocument) -> MinutesDocument:
    return public_version(sample)


@pytest.fixture(scope="session")
def public_pdf(public_doc: MinutesDocument) -> bytes:
    return render_minutes_pdf(public_doc)


@pytest.fixture(scope="session")
def public_html(public_doc: MinutesDocument) -> str:
    return render_html(public_doc)


@pytest.fixture(scope="session")
def removed_doc(sample: MinutesDocument) -> MinutesDocument:
    return personal_data_removed_version(sample)


@pytest.fixture(scope="session")
def demo_seal(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(key, certificate) of a self-signed demo seal; 2048-bit to keep the suite quick."""
    return create_demo_seal(tmp_path_factory.mktemp("seal"), key_size=2048)
