"""Prepare a live server's database and seed scenarios: `python -m tests.live.seed <cmd> …`.

Run with the same environment as the server (DJANGO_SETTINGS_MODULE=tests.live.server_settings,
DATABASE_URL, REDIS_URL, KOKOUS_VAR_DIR, AUDIT_SIGNING_KEY_FILE). Prints one JSON object.

* ``prepare`` — migrate, create the live tables if no migration has, make the audit key;
* ``meeting --members N [--open] [--vote] [--remote] [--private]`` — a convened hybrid meeting
  of N members (the first chairs) and a secretary; `--open`: everyone present (remote members
  confirmed if `--remote`) and the meeting opened; `--vote`: through the services up to an open
  vote. Prints ids and a session cookie per user (users have MFA; the login itself is tested
  elsewhere).
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.live.server_settings")
    import django

    django.setup()
    import meetings.models.live  # noqa: F401

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("prepare")
    m = sub.add_parser("meeting")
    m.add_argument("--members", type=int, default=4)
    m.add_argument("--open", action="store_true")
    m.add_argument("--vote", action="store_true")
    m.add_argument("--remote", action="store_true")
    m.add_argument("--private", action="store_true")
    i = sub.add_parser("inspect")
    i.add_argument("--vote", type=int, required=True)
    args = parser.parse_args(argv)
    if args.cmd == "prepare":
        return prepare()
    if args.cmd == "inspect":
        return inspect(args.vote)
    return meeting(args)


def inspect(vote_id: int) -> int:
    """Counts for the drills: ballots, their audit entries, unfinished idempotency keys."""
    from django.db.models import Count

    from audit.models import AuditEntry
    from meetings.models.live import ActionKey
    from voting.models import Ballot, Vote

    vote = Vote.objects.get(pk=vote_id)
    ballots = Ballot.objects.filter(vote=vote)
    doubled = list(ballots.values("person_id").annotate(n=Count("pk")).filter(n__gt=1))
    print(json.dumps({
        "status": vote.status,
        "ballots": ballots.count(),
        "persons": ballots.values("person_id").distinct().count(),
        "doubled": len(doubled),
        "cast_entries": AuditEntry.objects.filter(action="vote.cast", object=f"vote:{vote_id}")
        .count(),
        "unfinished_keys": ActionKey.objects.filter(status=0).count(),
        "eligible": len(vote.eligible),
    }))
    return 0


def prepare() -> int:
    from io import StringIO

    from django.conf import settings
    from django.core.management import call_command

    from tests.live.scenario import ensure_live_tables

    call_command("migrate", "--noinput", verbosity=0)
    ensure_live_tables()
    if not os.path.exists(settings.AUDIT_SIGNING_KEY_FILE):
        call_command("audit_keygen", "--path", str(settings.AUDIT_SIGNING_KEY_FILE),
                     stdout=StringIO())
    print(json.dumps({"ok": True}))
    return 0


def meeting(args: argparse.Namespace) -> int:
    from django.db import transaction

    from meetings.realtime import flush_now
    from tests.live.scenario import (
        make_live_meeting,
        open_with_present,
        run_to_open_vote,
        session_cookie,
    )

    _continue_sequences()
    remote = tuple(range(args.members)) if args.remote else ()
    public = not args.private
    with transaction.atomic():
        if args.vote:
            lm = run_to_open_vote(members=args.members, remote=remote, public=public)
        elif args.open:
            lm = open_with_present(make_live_meeting(members=args.members, public=public),
                                   remote=remote)
        else:
            lm = make_live_meeting(members=args.members, public=public)
    flush_now(lm.meeting.pk)
    vote = lm.meeting.votes.filter(status="open").first() if args.vote else None
    out = {
        "meeting": lm.meeting.pk,
        "item": lm.item.pk,
        "vote": vote.pk if vote else None,
        "chair": {"cookie": session_cookie(lm.chair_user), "participant": lm.chair.pk,
                  "name": lm.chair.person.full_name, "user": lm.chair_user.pk},
        "secretary": {"cookie": session_cookie(lm.secretary_user),
                      "participant": lm.secretary.pk, "name": lm.secretary.person.full_name},
        "members": [
            {"cookie": session_cookie(p.person.user), "participant": p.pk,
             "person": p.person_id, "name": p.person.full_name, "user": p.person.user_id}
            for p in lm.members
        ],
    }
    print(json.dumps(out))
    return 0


def _continue_sequences() -> None:
    """factory_boy counts from 0 in every process: start above what earlier seeds made."""
    from django.contrib.auth import get_user_model
    from django.db.models import Max

    from tests import factories

    start = (get_user_model().objects.aggregate(n=Max("pk"))["n"] or 0) + 1
    for factory in (factories.UserFactory, factories.MunicipalityFactory,
                    factories.BodyFactory, factories.PersonFactory, factories.MeetingFactory,
                    factories.AgendaItemFactory, factories.StaffRoleFactory,
                    factories.MembershipFactory):
        factory.reset_sequence(start)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
