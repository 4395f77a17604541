"""Background rendering of large minutes (a 100-section pöytäkirja takes seconds, not a request).

A web view calls :func:`enqueue_render` with a snapshot of the document and answers at once;
a worker — ``manage.py minutes_run_jobs`` (a separate process, one or more threads) or
:class:`ThreadPoolRunner` inside a process — claims queued jobs one at a time, renders, reports
progress 0–100 in the row, and stores the PDF encrypted under ``PROTECTED_FILES_ROOT/minutes/``
(``meetings.encryption``; the blob's file name is its storage name, so key rotation covers it).

Claiming is one conditional ``UPDATE … WHERE status = 'queued'``, so two workers never render
the same job. A job left ``running`` by a crashed worker is put back in the queue by
:func:`requeue_stale`.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, timedelta

from django.db import connections, transaction
from django.utils import timezone

from meetings import encryption
from minutes.document import MinutesDocument
from minutes.models import RenderJob
from minutes.render import (
    personal_data_removed_version,
    public_version,
    render_excerpt_pdf,
    render_minutes_pdf,
)

__all__ = [
    "ThreadPoolRunner",
    "claim_next_job",
    "enqueue_render",
    "job_result",
    "render_document_pdf",
    "requeue_stale",
    "run_job",
    "run_queued",
]

logger = logging.getLogger(__name__)
RESULT_DIR = "minutes"
_SEAL_SHARE = 10  # percent of the progress bar for sealing, when the job seals


def enqueue_render(
    document: MinutesDocument,
    *,
    kind: RenderJob.Kind | str = RenderJob.Kind.MINUTES,
    lang: str | None = None,
    section_number: int | None = None,
    sign: bool = False,
    requested_by: object | None = None,
) -> RenderJob:
    """Queue a rendering of ``document`` (the original minutes; public versions are derived in
    the worker). ``section_number`` is required for a pöytäkirjanote."""
    kind = RenderJob.Kind(kind)
    if kind == RenderJob.Kind.EXCERPT:
        if section_number is None:
            raise ValueError("a pöytäkirjanote needs the section number")
        document.section(section_number)  # KeyError now rather than in the worker
    return RenderJob.objects.create(
        kind=kind,
        document_json=document.to_json(),
        section_number=section_number,
        lang=lang or document.language,
        sign=sign,
        requested_by=requested_by,
    )


def render_document_pdf(
    document: MinutesDocument,
    kind: RenderJob.Kind | str,
    *,
    lang: str | None = None,
    section_number: int | None = None,
    progress: Callable[[int], None] | None = None,
    today: date | None = None,
) -> bytes:
    """The PDF/A of one job kind, without the database (the worker's pure part)."""
    kind = RenderJob.Kind(kind)
    if kind == RenderJob.Kind.MINUTES:
        return render_minutes_pdf(document, lang=lang, progress=progress)
    if kind == RenderJob.Kind.PUBLIC:
        return render_minutes_pdf(public_version(document), lang=lang, progress=progress)
    if kind == RenderJob.Kind.PERSONAL_DATA_REMOVED:
        return render_minutes_pdf(
            personal_data_removed_version(document), lang=lang, progress=progress
        )
    if section_number is None:
        raise ValueError("a pöytäkirjanote needs the section number")
    return render_excerpt_pdf(
        document, section_number, lang=lang, certified_on=today, progress=progress
    )


def claim_next_job() -> RenderJob | None:
    """Atomically take the oldest queued job (``queued`` → ``running``), or ``None``."""
    while True:
        candidate = (
            RenderJob.objects.filter(status=RenderJob.Status.QUEUED)
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)
            .first()
        )
        if candidate is None:
            return None
        job = _claim(candidate)
        if job is not None:
            return job
        # Another worker took it between the read and the update: look again.


def _claim(job_id: int) -> RenderJob | None:
    with transaction.atomic():
        taken = RenderJob.objects.filter(pk=job_id, status=RenderJob.Status.QUEUED).update(
            status=RenderJob.Status.RUNNING, started_at=timezone.now(), progress=0, error=""
        )
    return RenderJob.objects.get(pk=job_id) if taken else None


def _progress_writer(job_id: int, scale: float) -> Callable[[int], None]:
    last = [-1]

    def report(percent: int) -> None:
        value = max(0, min(99, int(percent * scale)))
        if value > last[0]:  # monotonic, one UPDATE per change
            last[0] = value
            RenderJob.objects.filter(pk=job_id).update(progress=value)

    return report


def _store_result(data: bytes) -> str:
    storage_name = secrets.token_hex(32)
    blob = encryption.encrypt_for_storage(data, storage_name)
    encryption.write_blob(encryption.protected_root() / RESULT_DIR / storage_name, blob)
    return storage_name


def job_result(job: RenderJob) -> bytes:
    """The rendered PDF of a finished job (decrypted; the caller has checked access)."""
    if job.status != RenderJob.Status.DONE or not job.result_storage_name:
        raise ValueError(f"job {job.pk} has no result")
    name = encryption.clean_storage_name(job.result_storage_name)
    blob = (encryption.protected_root() / RESULT_DIR / name).read_bytes()
    data = encryption.decrypt_from_storage(blob, name)
    if hashlib.sha256(data).hexdigest() != job.result_sha256:
        raise encryption.DecryptionError(f"job {job.pk}: result does not match its digest")
    return data


def run_job(job_id: int, *, claim: bool = True) -> RenderJob:
    """Render one job: claim it (unless already claimed), render, seal if asked, store.

    Failures are recorded in the row (``failed`` + error text), never raised: a worker keeps
    going. Returns the job as stored at the end.
    """
    if claim and _claim(job_id) is None:
        return RenderJob.objects.get(pk=job_id)
    job = RenderJob.objects.get(pk=job_id)
    try:
        document = MinutesDocument.from_json(job.document_json)
        scale = (100 - _SEAL_SHARE) / 100 if job.sign else 1.0
        pdf = render_document_pdf(
            document, job.kind, lang=job.lang, section_number=job.section_number,
            progress=_progress_writer(job.pk, scale), today=timezone.localdate(),
        )
        if job.sign:
            pdf = _seal(pdf, document)
        storage_name = _store_result(pdf)
    except Exception as exc:  # recorded on the job; the worker goes on with the next one
        logger.exception("minutes render job %s failed", job_id)
        RenderJob.objects.filter(pk=job_id).update(
            status=RenderJob.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
    else:
        RenderJob.objects.filter(pk=job_id).update(
            status=RenderJob.Status.DONE, progress=100, result_storage_name=storage_name,
            result_sha256=hashlib.sha256(pdf).hexdigest(), result_size=len(pdf),
            finished_at=timezone.now(),
        )
    return RenderJob.objects.get(pk=job_id)


def _seal(pdf: bytes, document: MinutesDocument) -> bytes:
    from minutes.signing import load_seal_signer, seal_settings, sign_pdf

    config = seal_settings()
    return sign_pdf(
        pdf, load_seal_signer(config), reason="Pöytäkirjan varmennus",
        location=document.meeting.municipality, timestamp_url=config.timestamp_url,
        lang=document.language,
    )


def run_queued(limit: int | None = None) -> int:
    """Run queued jobs in this thread until the queue is empty (or ``limit`` jobs ran)."""
    done = 0
    while limit is None or done < limit:
        job = claim_next_job()
        if job is None:
            break
        run_job(job.pk, claim=False)
        done += 1
    return done


def requeue_stale(older_than: timedelta) -> int:
    """Put ``running`` jobs started more than ``older_than`` ago back in the queue."""
    cutoff = timezone.now() - older_than
    return RenderJob.objects.filter(
        status=RenderJob.Status.RUNNING, started_at__lt=cutoff
    ).update(status=RenderJob.Status.QUEUED, progress=0, started_at=None)


class ThreadPoolRunner:
    """Runs jobs on a small thread pool (default one thread: WeasyPrint is CPU-bound and holds
    the GIL, so more threads add little; run more worker processes instead)."""

    def __init__(self, max_workers: int = 1) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="minutes")

    def submit(self, job_id: int) -> Future[RenderJob]:
        return self._pool.submit(self._run, job_id)

    def drain(self) -> Future[int]:
        """Run queued jobs until the queue is empty."""
        return self._pool.submit(self._drain)

    @staticmethod
    def _run(job_id: int) -> RenderJob:
        try:
            return run_job(job_id)
        finally:
            connections.close_all()  # this thread's connections only

    @staticmethod
    def _drain() -> int:
        try:
            return run_queued()
        finally:
            connections.close_all()

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait)

    def __enter__(self) -> ThreadPoolRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
