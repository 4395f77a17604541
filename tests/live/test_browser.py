"""A whole hybrid meeting in real browsers against a real server (R5, R8, R10, R13, R40–R44,
R72, R73, R76): Debian chromium driven by Playwright, uvicorn serving the project.

The server uses a file SQLite database in a temporary directory, or PostgreSQL + Redis when the
suite runs with DATABASE_URL / REDIS_URL (a private database is created next to the given one).
Users log in by session cookie (they have MFA; the login flow is tested elsewhere).
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live.harness import CHROMIUM, CHROMIUM_ARGS, Stack

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STATE_TIMEOUT = 10_000  # ms: generous for CI; typical updates take well under a second
#: ms to wait for an action's POST to be answered. Speed is measured by bench/live, not here; on a
#: CI machine busy with other work a first request (new PostgreSQL connection, cold caches) once
#: took over 10 s.
ACTION_TIMEOUT = 30_000
#: ms: a tap whose request has not left the page by then was lost (see `click`).
TAP_TIMEOUT = 5_000


def _server_database(tmp: Path) -> tuple[str | None, str | None, str | None]:
    """(database URL, Redis URL, name of a PostgreSQL database to drop afterwards)."""
    url = os.environ.get("DATABASE_URL", "")
    redis = os.environ.get("REDIS_URL") or None
    if not url.startswith(("postgres://", "postgresql://")):
        return None, redis, None
    name = f"kokous_live_browser_{os.getpid()}"
    base, _, _db = url.rpartition("/")
    subprocess.run(["psql", f"{base}/postgres", "-q", "-c", f"DROP DATABASE IF EXISTS {name}"],
                   check=True, capture_output=True)
    subprocess.run(["psql", f"{base}/postgres", "-q", "-c", f"CREATE DATABASE {name}"],
                   check=True, capture_output=True)
    return f"{base}/{name}", redis, name


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make sysdeps` installs Debian chromium")
    tmp = tmp_path_factory.mktemp("browser")
    database, redis, drop = _server_database(tmp)
    s = Stack(tmp, database_url=database, redis_url=redis,
              env={"KOKOUS_LIVE_DROP_GRACE_SECONDS": "0.5"})
    s.prepare()
    s.start()
    try:
        yield s
    finally:
        s.stop()
        if drop:
            base = os.environ["DATABASE_URL"].rpartition("/")[0]
            subprocess.run(["psql", f"{base}/postgres", "-q", "-c",
                            f"DROP DATABASE IF EXISTS {drop} WITH (FORCE)"], capture_output=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def open_room(browser, stack: Stack, meeting: int, cookie: str | None, *, public: bool = False):
    from playwright.sync_api import expect

    context = browser.new_context(base_url=stack.base_url, locale="fi-FI")
    # No internet here: fail the embedded Jitsi at once instead of waiting for DNS.
    context.route("https://meet.jit.si/**", lambda route: route.abort())
    if cookie:
        context.add_cookies([{"name": "sessionid", "value": cookie, "url": stack.base_url}])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error"
            and not msg.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400
            and not r.url.endswith("/favicon.ico") else None)
    page.errors = errors  # type: ignore[attr-defined]
    if public:
        page.goto(f"/julkinen/kokous/{meeting}/")
        expect(page.locator("body")).to_have_attribute("data-connection", "connected",
                                                       timeout=STATE_TIMEOUT)
    else:
        page.goto(f"/kokoukset/{meeting}/live/")
        expect(page.locator("#live-room")).to_have_attribute("data-connection", "connected",
                                                             timeout=STATE_TIMEOUT)
    return page


def click(page, scope: str, name: str | re.Pattern[str]) -> None:
    """Click an action button and wait for its POST to be answered (and accepted).

    A push can replace the section under the pointer just as it is clicked (a vote that was
    paused opens again): then no request leaves the page, and like a member on a phone the test
    taps again. Room actions are idempotent POSTs, so a second tap is safe; a request that did
    leave is only waited for, never repeated.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    def is_action(r) -> bool:
        return "/live/do/" in r.url

    for attempt in range(3):
        button = page.locator(scope).get_by_role("button", name=name).first
        left = False
        try:
            with page.expect_response(is_action, timeout=ACTION_TIMEOUT) as answered:
                with page.expect_request(is_action, timeout=TAP_TIMEOUT):
                    button.click()
                left = True
        except PlaywrightTimeout:
            if left or attempt == 2:
                raise  # the request left and was not answered in time: a real failure
            continue  # the tap was lost: the button was replaced under it
        response = answered.value
        assert response.status == 200, f"{name}: {response.status} {response.text()}"
        return


def expect_text(page, selector: str, text: str | re.Pattern[str]) -> None:
    from playwright.sync_api import expect

    try:
        expect(page.locator(selector)).to_contain_text(text, timeout=STATE_TIMEOUT)
    except AssertionError as exc:
        room = page.locator("#live-room, #public-live").first
        raise AssertionError(
            f"{exc}\n--- page {page.url} version {room.get_attribute('data-version')}:\n"
            f"{room.inner_text()[:3000]}\n--- errors: {getattr(page, 'errors', [])}"
        ) from None


def no_serious_axe_violations(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    serious = [v for v in results.response["violations"]
               if v.get("impact") in ("serious", "critical")]
    assert not serious, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
                         for v in serious]


def test_a_whole_hybrid_meeting_in_browsers(stack, browser):
    """The chair opens; three members join remotely and are confirmed; one asks for the floor
    and makes a counter-proposal, another seconds; the vote runs; every member page and the
    public view show the result. Accessibility: no serious or critical axe violations."""
    info = stack.seed("meeting", "--members", "4")
    mid = info["meeting"]
    chair_info, members = info["chair"], info["members"][1:]
    chair = open_room(browser, stack, mid, chair_info["cookie"])
    secretary = open_room(browser, stack, mid, info["secretary"]["cookie"])
    pages = [open_room(browser, stack, mid, m["cookie"]) for m in members]
    public = open_room(browser, stack, mid, None, public=True)

    # The chair and three members join remotely; the secretary confirms each one seen on the
    # video link (KL 99 § 1, R13) — the roster shows who is connected and who is confirmed.
    for page in [chair, *pages]:
        click(page, "#live-me", "Osallistun etäyhteydellä")
        expect_text(page, "#live-me", "Odotat puheenjohtajan")
    for m in [chair_info, *members]:
        row = f'#live-roster tr[data-participant="{m["participant"]}"]'
        expect_text(secretary, row, "yhdistetty")
        click(secretary, row, "Vahvista henkilöllisyys")
        expect_text(secretary, row, "kyllä")
    for page in [chair, *pages]:
        expect_text(page, "#live-me", "Läsnä etäyhteydellä")
    no_serious_axe_violations(secretary)

    expect_text(chair, "#live-quorum", "päätösvaltainen")
    click(chair, "#live-steps", "Avaa kokous")
    expect_text(chair, "#live-meeting-status", "käynnissä")
    click(chair, "#live-steps", re.compile("Ota käsittelyyn"))
    for page in [*pages, chair]:
        expect_text(page, "#live-item", "Kirjaston aukioloajat 1")
    expect_text(public, "#pub-item", "Kirjaston aukioloajat 1")
    no_serious_axe_violations(pages[0])
    no_serious_axe_violations(public)

    # A member asks for the floor; the chair grants it; the timer runs (R10).
    a, b, c = pages
    click(a, "#live-floor", "Pyydä puheenvuoroa")
    expect_text(chair, "#live-floor .live-queue", members[0]["name"])
    click(chair, "#live-steps", "Anna seuraava puheenvuoro")
    expect_text(a, "#live-floor .live-speaker", members[0]["name"])
    expect_text(a, "#live-floor .live-timer", "Puheaikaa kulunut")
    expect_text(public, "#pub-speaker", members[0]["name"])

    # …and makes a counter-proposal, which another member seconds (R40).
    a.locator("#live-proposals textarea[name=text]").fill("Aukioloa pidennetään tunnilla.")
    click(a, "#live-proposals form.live-propose", "Tee ehdotus")
    expect_text(b, "#live-proposals", "Aukioloa pidennetään tunnilla.")
    click(b, "#live-proposals", "Kannata")
    expect_text(chair, "#live-proposals", members[1]["name"])

    # The chair's guided steps up to the vote (R40, R76).
    for step in ("Julista keskustelu päättyneeksi", "Totea ehdotukset",
                 "Ehdota äänestystapa ja -järjestys", "Toimielin hyväksyi järjestyksen",
                 "Aloita äänestys"):
        click(chair, "#live-steps", step)
        expect_text(chair, "#live-steps", re.compile(
            {"Julista keskustelu päättyneeksi": "Totea ehdotukset",
             "Totea ehdotukset": "Ehdota äänestystapa",
             "Ehdota äänestystapa ja -järjestys": "Toimielin hyväksyi",
             "Toimielin hyväksyi järjestyksen": "Aloita äänestys",
             "Aloita äänestys": "Päätä äänestys"}[step]))

    # Everyone votes; each sees "you have voted" and a receipt (R41, R44).
    for page, option in ((chair, "Jaa"), (a, "Ei"), (b, "Ei"), (c, "Ei")):
        click(page, "#live-vote", option)
        expect_text(page, "#live-vote .live-voted", "Olet äänestänyt")
        expect_text(page, "#live-vote .live-receipt", re.compile("[0-9a-f]{64}"))
    expect_text(chair, "#live-vote .live-cast", "4 / 4")
    no_serious_axe_violations(c)
    click(chair, "#live-steps", "Päätä äänestys")
    for page in (chair, a, b, c):
        expect_text(page, "#live-results .live-counts", "Jaa 1 – Ei 3 – Tyhjä 0 – Poissa 0")
    expect_text(public, "#pub-results .live-counts", "Jaa 1 – Ei 3 – Tyhjä 0 – Poissa 0")
    no_serious_axe_violations(public)
    for page in (chair, secretary, a, b, c, public):
        assert not [e for e in page.errors if "WebSocket" not in e], page.errors


def test_a_member_drops_mid_vote_and_is_reconfirmed(stack, browser):
    """R72: the member's page closes during the vote; the chair sees the alert; the vote does
    not close by itself; the member rejoins, is re-confirmed and votes; then the vote closes."""
    info = stack.seed("meeting", "--members", "4", "--vote", "--remote")
    mid = info["meeting"]
    chair = open_room(browser, stack, mid, info["chair"]["cookie"])
    members = info["members"][1:]
    pages = [open_room(browser, stack, mid, m["cookie"]) for m in members]
    dropped = members[2]
    row = f'#live-roster tr[data-participant="{dropped["participant"]}"]'
    expect_text(pages[2], "#live-vote", "Äänestys on käynnissä")

    pages[2].context.close()  # the phone's browser is gone
    expect_text(chair, "#live-alerts", dropped["name"])
    expect_text(chair, "#live-alerts", "Yhteys katkesi")
    expect_text(chair, row, "yhteys katkennut")
    expect_text(chair, "#live-steps", "Jatka äänestystä")
    close_button = chair.locator("#live-steps").get_by_role("button", name="Päätä äänestys")
    assert close_button.is_disabled()
    time.sleep(1.5)
    expect_text(pages[0], "#live-vote", "Äänestys on käynnissä")  # not closed by itself

    back = open_room(browser, stack, mid, dropped["cookie"])
    expect_text(back, "#live-me", "Odotat uudelleenvahvistusta")
    expect_text(chair, "#live-alerts", "Palasi")
    click(chair, row, "Vahvista henkilöllisyys")
    expect_text(back, "#live-me", "Läsnä etäyhteydellä")
    click(chair, "#live-steps", "Jatka äänestystä")
    for page, option in ((chair, "Jaa"), (pages[0], "Jaa"), (pages[1], "Ei"), (back, "Jaa")):
        click(page, "#live-vote", option)
        expect_text(page, "#live-vote .live-voted", "Olet äänestänyt")
    click(chair, "#live-steps", "Päätä äänestys")
    for page in (chair, pages[0], pages[1], back):
        expect_text(page, "#live-results .live-counts", "Jaa 3 – Ei 1 – Tyhjä 0 – Poissa 0")
