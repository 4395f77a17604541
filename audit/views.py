"""HTTP access to the audit log (*tarkastusloki*) for auditors and the public (spec section 5).

Public: the verifier key, the newest checkpoint and consistency proofs; they reveal only hashes,
so anyone can watch that the log only grows. Auditors only: entries, inclusion proofs, the
export download and the lookup page. Views stay thin: parse, ask `audit.store`, answer.

Public views carry the attribute `kokous_public` (what `meetings.public.public_page` sets) by
hand: `audit` sits below `meetings` and must not import it.
"""

from __future__ import annotations

import functools
import json
import re
import tempfile
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from audit import export, merkle, store
from audit.access import is_auditor
from audit.checkpoints import LogInconsistent, latest_checkpoint
from audit.errors import MAX_ENTRIES_PER_REQUEST, audit_error
from audit.keys import SigningKeyError, verifier_key
from audit.log import OBJECT_RE, queued_count
from audit.models import AuditCheckpoint, AuditEntry
from audit.store import LogCorrupted
from kokous.errors import DomainError

PUBLIC_ATTRIBUTE = "kokous_public"
_COUNT_RE = re.compile(r"0|[1-9][0-9]{0,17}")
LOOKUP_LIMIT = 200

View = Callable[..., HttpResponse]


def public(view: View) -> View:
    """Mark a view public for `meetings.middleware` (no login, no MFA)."""
    setattr(view, PUBLIC_ATTRIBUTE, True)
    return view


def json_errors(view: View) -> View:
    """Answer a `DomainError` (or a missing signing key) as `{"code", "message"}` JSON."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            return JsonResponse(exc.as_dict(), status=exc.status)
        except SigningKeyError:
            return JsonResponse(audit_error("audit.unavailable").as_dict(), status=503)

    return wrapped


def _require_auditor(request: HttpRequest) -> None:
    if not is_auditor(request.user):
        raise audit_error("audit.forbidden")


def _count(request: HttpRequest, name: str) -> int:
    raw = request.GET.get(name)
    if raw is None or not _COUNT_RE.fullmatch(raw):
        raise audit_error("audit.bad_range", detail=f"{name}={raw!r}")
    return int(raw)


def _text_status(body: str, status: int) -> HttpResponse:
    return HttpResponse(body + "\n", content_type="text/plain; charset=utf-8", status=status)


def _text(body: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@public
@require_GET
@json_errors
def key(request: HttpRequest) -> HttpResponse:
    """The verifier key line (`<name>+<hash>+<base64 key>`)."""
    return _text(verifier_key() + "\n")


@public
@require_GET
@json_errors
def checkpoint(request: HttpRequest) -> HttpResponse:
    """The newest signed checkpoint (a C2SP signed note)."""
    return _text(latest_checkpoint().note)


@public
@require_GET
@json_errors
def consistency_proof(request: HttpRequest) -> HttpResponse:
    """RFC 9162 consistency proof `from -> to`; only hashes, so public."""
    old_size, new_size = _count(request, "from"), _count(request, "to")
    size = store.current_size()
    if not old_size <= new_size <= size:
        raise audit_error("audit.bad_range", detail=f"0 <= from <= to <= {size}")
    hashes = store.consistency_proof(old_size, new_size)
    return JsonResponse(merkle.consistency_proof_json(old_size, new_size, hashes))


@require_GET
@json_errors
def entries(request: HttpRequest) -> HttpResponse:
    """Entries `start..end-1` as JSON Lines, each line exactly the stored bytes."""
    _require_auditor(request)
    start, end = _count(request, "start"), _count(request, "end")
    if start > end:
        raise audit_error("audit.bad_range", detail="start <= end")
    if end - start > MAX_ENTRIES_PER_REQUEST:
        raise audit_error(
            "audit.range_too_large", limit=MAX_ENTRIES_PER_REQUEST, count=end - start
        )
    size = store.current_size()
    if end > size:
        raise audit_error("audit.bad_range", detail=f"0 <= start <= end <= {size}")
    body = b"".join(export.entry_chunks(start, end))
    return HttpResponse(body, content_type="application/jsonl; charset=utf-8")


@require_GET
@json_errors
def inclusion_proof(request: HttpRequest) -> HttpResponse:
    """RFC 9162 inclusion proof of entry `index` in the tree of `size`."""
    _require_auditor(request)
    index, tree_size = _count(request, "index"), _count(request, "size")
    size = store.current_size()
    if not index < tree_size <= size:
        raise audit_error("audit.bad_range", detail=f"0 <= index < size <= {size}")
    leaf, hashes = store.inclusion_proof(index, tree_size)
    return JsonResponse(merkle.inclusion_proof_json(index, tree_size, leaf, hashes))


def _lookup(ref: str, cp: AuditCheckpoint) -> list[dict[str, Any]]:
    """Entries about `ref` with an inclusion proof against `cp`, verified here."""
    rows = list(
        AuditEntry.objects.filter(object=ref)
        .order_by("-seq")
        .values_list("seq", "entry", "leaf_hash")[:LOOKUP_LIMIT]
    )
    found = []
    for seq, entry, leaf in reversed(rows):
        fields = json.loads(bytes(entry))
        item: dict[str, Any] = {
            "seq": seq,
            "ts": fields.get("ts"),
            "action": fields.get("action"),
            "actor": fields.get("actor"),
            "data": json.dumps(fields.get("data"), ensure_ascii=False, sort_keys=True),
            "covered": seq < cp.size,
        }
        if item["covered"]:
            stored_leaf, hashes = store.inclusion_proof(seq, cp.size)
            item["verified"] = (
                bytes(leaf) == merkle.leaf_hash(bytes(entry)) == stored_leaf
                and merkle.verify_inclusion(seq, cp.size, stored_leaf, hashes, bytes(cp.root))
            )
            item["proof"] = json.dumps(
                merkle.inclusion_proof_json(seq, cp.size, stored_leaf, hashes), indent=2
            )
        found.append(item)
    return found


@never_cache
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The auditor's page: checkpoint, key, export download and lookup by object."""
    if not is_auditor(request.user):
        raise PermissionDenied
    ref = request.GET.get("object", "").strip()
    context: dict[str, Any] = {
        "size": store.current_size(),
        "queued": queued_count(),
        "object_ref": ref,
        "lookup_limit": LOOKUP_LIMIT,
    }
    try:
        cp = latest_checkpoint()
    except SigningKeyError:
        context["key_missing"] = True
        return render(request, "audit/index.html", context)
    context["checkpoint"] = cp
    if ref:
        if OBJECT_RE.fullmatch(ref):
            context["results"] = _lookup(ref, cp)
        else:
            context["bad_object"] = True
    return render(request, "audit/index.html", context)


@never_cache
@require_GET
def download(request: HttpRequest) -> HttpResponse:
    """The export bundle as a zip, signed now; the download is itself recorded."""
    if not is_auditor(request.user):
        raise PermissionDenied
    try:
        cp = export.checkpoint_for_export(request.user, "web")
    except SigningKeyError:
        return _text_status(str(audit_error("audit.unavailable").message), 503)
    except (LogInconsistent, LogCorrupted) as exc:
        # The service refuses to sign a log that does not extend its earlier checkpoints: the
        # auditor must see that, not a generic error page.
        return _text_status(str(exc), 409)
    folder = f"kokous-audit-{cp.size}"
    # Entries below the checkpoint size never change, so no snapshot (or lock) is needed. Spooled
    # to a temporary file so memory stays bounded however long the log is.
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    export.write_zip(spool, cp, folder)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=f"{folder}.zip", content_type="application/zip"
    )
