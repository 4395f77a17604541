"""Background rendering jobs: queue, claim, progress, encrypted result (R48, R61)."""

from __future__ import annotations

import io
from datetime import timedelta

import pikepdf
import pytest
from django.core.management import call_command
from django.utils import timezone

from meetings import encryption
from minutes.jobs import (
    ThreadPoolRunner,
    claim_next_job,
    enqueue_render,
    job_result,
    render_document_pdf,
    requeue_stale,
    run_job,
    run_queued,
)
from minutes.models import RenderJob
from minutes.samples import CONFIDENTIAL_MARKER
from minutes.signing import validate_signature
from tests.minutes.conftest import pdf_text


@pytest.fixture
def file_store(settings, tmp_path):
    settings.PROTECTED_FILES_ROOT = tmp_path / "files"
    settings.KOKOUS_FILE_KEYS = encryption.KeyRing((encryption.new_key(),)).to_json()
    return tmp_path / "files"


def test_progress_is_reported_in_order(sample):
    seen: list[int] = []
    render_document_pdf(sample, "excerpt", section_number=45, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 100 and len(seen) >= 4


@pytest.mark.django_db
def test_job_renders_and_stores_encrypted_result(sample, file_store):
    job = enqueue_render(sample)
    assert job.status == RenderJob.Status.QUEUED and job.progress == 0
    done = run_job(job.pk)
    assert done.status == RenderJob.Status.DONE, done.error
    assert done.progress == 100 and done.started_at and done.finished_at
    pdf = job_result(done)
    assert pdf.startswith(b"%PDF-1.7") and done.result_size == len(pdf)
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        assert opened.open_metadata()["pdfaid:part"] == "3"
    stored = file_store / "minutes" / done.result_storage_name
    blob = stored.read_bytes()
    assert blob.startswith(encryption.MAGIC) and b"%PDF" not in blob
    assert stored.stat().st_mode & 0o077 == 0
    # Key rotation walks the protected store and finds the result with its storage name.
    assert any(item.path == stored for item in encryption.iter_protected_blobs())


@pytest.mark.django_db
def test_public_job_leaves_out_confidential_matter(sample, file_store):
    done = run_job(enqueue_render(sample, kind="public").pk)
    text = pdf_text(job_result(done))
    assert CONFIDENTIAL_MARKER not in text and "Salassa pidettävän asian käsittely" in text


@pytest.mark.django_db
def test_excerpt_job_needs_an_existing_section(sample, file_store):
    with pytest.raises(ValueError, match="section number"):
        enqueue_render(sample, kind="excerpt")
    with pytest.raises(KeyError):
        enqueue_render(sample, kind="excerpt", section_number=999)
    done = run_job(enqueue_render(sample, kind="excerpt", section_number=49).pk)
    assert "Pöytäkirjanote" in pdf_text(job_result(done))


@pytest.mark.django_db
def test_failure_is_recorded_not_raised(sample, file_store):
    job = enqueue_render(sample)
    RenderJob.objects.filter(pk=job.pk).update(document_json='{"schema": "other"}')
    failed = run_job(job.pk)
    assert failed.status == RenderJob.Status.FAILED
    assert "unsupported minutes schema" in failed.error
    with pytest.raises(ValueError, match="no result"):
        job_result(failed)


@pytest.mark.django_db
def test_a_job_is_claimed_once(sample, file_store):
    first, second = enqueue_render(sample), enqueue_render(sample)
    claimed = claim_next_job()
    assert claimed.pk == first.pk and claimed.status == RenderJob.Status.RUNNING
    assert claim_next_job().pk == second.pk
    assert claim_next_job() is None
    # A job another worker already runs is left alone.
    assert run_job(first.pk).status == RenderJob.Status.RUNNING


@pytest.mark.django_db
def test_stale_running_jobs_are_requeued(sample, file_store):
    job = enqueue_render(sample)
    claim_next_job()
    RenderJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - timedelta(hours=2))
    assert requeue_stale(timedelta(minutes=30)) == 1
    assert RenderJob.objects.get(pk=job.pk).status == RenderJob.Status.QUEUED


@pytest.mark.django_db
def test_sealed_job_validates(sample, file_store, settings, demo_seal):
    key, cert = demo_seal
    settings.KOKOUS_SEAL_KEY_FILE = str(key)
    settings.KOKOUS_SEAL_CERT_FILE = str(cert)
    settings.KOKOUS_TIMESTAMP_URL = None
    done = run_job(enqueue_render(sample, kind="excerpt", section_number=47, sign=True).pk)
    assert done.status == RenderJob.Status.DONE, done.error
    status = validate_signature(job_result(done), [cert])
    assert status.ok and status.signatures[0].level == "B-B"


@pytest.mark.django_db
def test_management_command_runs_the_queue(sample, file_store):
    jobs = [enqueue_render(sample, kind="excerpt", section_number=n) for n in (45, 46)]
    call_command("minutes_run_jobs")
    assert {j.status for j in RenderJob.objects.filter(pk__in=[j.pk for j in jobs])} == {
        RenderJob.Status.DONE
    }
    assert run_queued() == 0


@pytest.mark.django_db(transaction=True)
def test_thread_pool_runner(sample, file_store):
    """Outside the request: a worker thread renders while the caller goes on."""
    job = enqueue_render(sample, kind="excerpt", section_number=46)
    with ThreadPoolRunner() as runner:
        done = runner.submit(job.pk).result(timeout=120)
        assert done.status == RenderJob.Status.DONE, done.error
        other = enqueue_render(sample, kind="excerpt", section_number=45)
        assert runner.drain().result(timeout=120) == 1
    assert RenderJob.objects.get(pk=other.pk).status == RenderJob.Status.DONE
