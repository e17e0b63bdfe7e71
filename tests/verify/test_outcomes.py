"""Each outcome class of a block check, on a local server (or a closed port, or a failing resolver)."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest

from kuzet.errors import FetchError
from kuzet.records import utcnow
from kuzet.settings import Settings
from kuzet.store.db import Database
from kuzet.store.models import CaseRow, NetworkMemberRow, NetworkRow
from kuzet.store.repo import get_or_create_resource
from kuzet.verify.recheck import recheck

from .conftest import CASINO_PAGE, CASINO_TEXT, LocalWeb, Reply, SeedCase, seed_finding

PARKED = (
    "<html><head><title>casino.test</title></head><body><p>This domain is for sale. Buy this domain.</p></body></html>"
)
CHANGED = "<html><head><title>Рецепты</title></head><body><p>Бешбармак: мясо, тесто, лук.</p></body></html>"
STUB = (
    "<html><head><title>Ресурс заблокирован</title></head><body>"
    "<p>Доступ к данному ресурсу ограничен в соответствии со статьёй 41-1 Закона РК «О связи».</p></body></html>"
)


def one_round(db: Database, settings: Settings, cid: int) -> tuple[str, int | None, dict, str]:  # type: ignore[type-arg]
    with db.session() as s:
        r = recheck(s, settings, cid)
        (c,) = r.checks
        return c.outcome, c.http_status, dict(c.detail), r.status_after


@pytest.mark.parametrize(
    ("reply", "outcome", "status", "case_status"),
    [
        (Reply(), "reachable_same", 200, "sent"),
        (Reply(body=CHANGED), "reachable_changed", 200, "sent"),
        (Reply(status=404, body="<html><body>not found</body></html>"), "removed", 404, "content_removed"),
        (Reply(status=410, body=""), "removed", 410, "content_removed"),
        (Reply(body=PARKED), "removed", 200, "content_removed"),
        (Reply(status=451, body="<html><body>unavailable</body></html>"), "block_page", 451, "blocked"),
        (Reply(body=STUB), "block_page", 200, "blocked"),
        (Reply(status=500, body="<html><body>oops</body></html>"), "http_error", 500, "sent"),
        (Reply(reset=True), "connection_reset", None, "blocked"),
        (Reply(delay=1.5), "timeout", None, "sent"),
    ],
)
def test_outcome_classes(
    db: Database,
    vsettings: Settings,
    seed_case: SeedCase,
    local_web: LocalWeb,
    reply: Reply,
    outcome: str,
    status: int | None,
    case_status: str,
) -> None:
    local_web.replies["casino.test"] = reply
    cid = seed_case([local_web.url("casino.test")])
    got, http_status, _, after = one_round(db, vsettings, cid)
    assert (got, http_status, after) == (outcome, status, case_status)


def test_redirect_to_a_block_host_is_a_block_page(
    db: Database, vsettings: Settings, seed_case: SeedCase, local_web: LocalWeb
) -> None:
    local_web.replies["casino.test"] = Reply(status=302, body="", headers={"Location": "http://blocked.test:PORT/"})
    local_web.replies["blocked.test"] = Reply(body="<html><body>Stop</body></html>")
    cid = seed_case([local_web.url("casino.test")])
    outcome, _, detail, after = one_round(db, vsettings, cid)
    assert (outcome, after) == ("block_page", "blocked")
    assert "blocked.test" in detail["why"]


def test_connection_refused_on_a_closed_port(db: Database, vsettings: Settings, seed_case: SeedCase) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cid = seed_case([f"http://casino.test:{port}/"])
    outcome, _, detail, after = one_round(db, vsettings, cid)
    assert (outcome, detail["kind"], after) == ("connection_reset", "refused", "blocked")


def test_dns_failure(db: Database, tmp_path, seed_case: SeedCase, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    # The name is not in the resolve map; the resolver answers NXDOMAIN (no real lookup leaves the machine).
    settings = Settings(mode="development", data_dir=tmp_path / "d", database_url=db.url, resolve="*.test=127.0.0.1")

    def nxdomain(host: str, *a: object, **k: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", nxdomain)
    cid = seed_case(["http://casino-gone.example/"])
    outcome, _, detail, after = one_round(db, settings, cid)
    assert (outcome, detail["kind"], after) == ("dns_failure", "nxdomain", "blocked")


def test_dns_sinkhole_in_production_is_a_dns_failure(db: Database, tmp_path, seed_case: SeedCase) -> None:  # type: ignore[no-untyped-def]
    # In production a public site that now resolves to loopback is an ISP's DNS sinkhole.
    settings = Settings(mode="production", data_dir=tmp_path / "d", database_url=db.url, resolve="*.example=127.0.0.1")
    cid = seed_case(["http://casino.example/"])
    outcome, _, detail, _ = one_round(db, settings, cid)
    assert (outcome, detail["kind"]) == ("dns_failure", "sinkhole")


def test_moved_to_a_mirror_in_the_same_network(
    db: Database, vsettings: Settings, seed_case: SeedCase, local_web: LocalWeb
) -> None:
    local_web.replies["casino.test"] = Reply(
        status=301, body="", headers={"Location": "http://casino-mirror.test:PORT/"}
    )
    local_web.replies["casino-mirror.test"] = Reply(body=CHANGED)  # other text: only the network says "mirror"
    cid = seed_case([local_web.url("casino.test")])
    with db.session() as s:
        a = get_or_create_resource(s, "casino.test")
        b = get_or_create_resource(s, "casino-mirror.test")
        net = NetworkRow()
        s.add(net)
        s.flush()
        s.add_all(
            [
                NetworkMemberRow(resource_id=a.id, network_id=net.id),
                NetworkMemberRow(resource_id=b.id, network_id=net.id),
            ]
        )
    outcome, _, detail, after = one_round(db, vsettings, cid)
    assert (outcome, detail["mirror"], after) == ("moved_to_mirror", "casino-mirror.test", "sent")
    assert "network" in detail["why"]


def test_moved_to_a_resource_with_findings_or_showing_the_same_page(
    db: Database, vsettings: Settings, seed_case: SeedCase, local_web: LocalWeb
) -> None:
    local_web.replies["casino.test"] = Reply(status=302, body="", headers={"Location": "http://casino2.test:PORT/"})
    local_web.replies["casino2.test"] = Reply(body=CHANGED)
    cid = seed_case([local_web.url("casino.test")])
    with db.session() as s:
        other = CaseRow(key="blocking:casino2", route="blocking")
        s.add(other)
        s.flush()
        seed_finding(s, other.id, local_web.url("casino2.test"), text="другой текст")
    outcome, _, detail, _ = one_round(db, vsettings, cid)
    assert outcome == "moved_to_mirror" and "finding" in detail["why"]

    # Unknown to kuzet, but showing the reported page: a mirror all the same.
    local_web.replies["casino.test"] = Reply(status=302, body="", headers={"Location": "http://casino3.test:PORT/"})
    local_web.replies["casino3.test"] = Reply(body=CASINO_PAGE)
    outcome, _, detail, _ = one_round(db, vsettings, cid)
    assert outcome == "moved_to_mirror" and detail["mirror"] == "casino3.test"


def test_a_blocked_case_is_reopened_when_it_moves_to_a_mirror(
    db: Database, vsettings: Settings, seed_case: SeedCase, local_web: LocalWeb
) -> None:
    local_web.replies["casino.test"] = Reply(body=STUB)
    cid = seed_case([local_web.url("casino.test")])
    assert one_round(db, vsettings, cid)[3] == "blocked"
    local_web.replies["casino.test"] = Reply(status=302, body="", headers={"Location": "http://casino9.test:PORT/"})
    local_web.replies["casino9.test"] = Reply(body=CASINO_PAGE)
    outcome, _, _, after = one_round(db, vsettings, cid)
    assert (outcome, after) == ("moved_to_mirror", "reopened")


def test_every_url_must_agree(db: Database, vsettings: Settings, seed_case: SeedCase, local_web: LocalWeb) -> None:
    local_web.replies["casino.test"] = Reply(body=STUB)
    local_web.replies["casino-b.test"] = Reply()
    cid = seed_case([local_web.url("casino.test"), local_web.url("casino-b.test")])
    with db.session() as s:
        r = recheck(s, vsettings, cid)
        assert (r.outcomes, r.verdict, r.status_after) == ({"block_page": 1, "reachable_same": 1}, "back", "sent")
    # One URL blocked, the other removed: the resource is gone for users, the authority acted.
    local_web.replies["casino-b.test"] = Reply(status=404, body="")
    with db.session() as s:
        r = recheck(s, vsettings, cid)
        assert (r.verdict, r.status_after) == ("blocked", "blocked")


def test_two_confirmations_need_two_rounds(
    db: Database, vsettings: Settings, seed_case: SeedCase, local_web: LocalWeb
) -> None:
    settings = vsettings.model_copy(update={"block_confirmations": 2})
    local_web.replies["casino.test"] = Reply(body=STUB)
    cid = seed_case([local_web.url("casino.test")])
    t = utcnow()
    with db.session() as s:
        assert recheck(s, settings, cid, at=t).status_after == "sent"
    # A round in between that disagrees restarts the count.
    local_web.replies["casino.test"] = Reply(delay=1.5)
    with db.session() as s:
        assert recheck(s, settings, cid, at=t + timedelta(hours=1)).verdict == "unclear"
    local_web.replies["casino.test"] = Reply(body=STUB)
    with db.session() as s:
        assert recheck(s, settings, cid, at=t + timedelta(hours=2)).status_after == "sent"
    with db.session() as s:
        r = recheck(s, settings, cid, at=t + timedelta(hours=3))
        assert (r.moved, r.status_after) == ("blocked", "blocked")
        assert "(2 round(s))" in r.reason


def test_a_reported_text_is_found_again_inside_a_changed_page(
    db: Database, vsettings: Settings, seed_case: SeedCase, local_web: LocalWeb
) -> None:
    # The same offer with a new banner and footer: the same content for the authority.
    page = CASINO_PAGE.replace("</body>", "<footer>Новый баннер! Турнир недели. Поддержка 24/7.</footer></body>")
    local_web.replies["casino.test"] = Reply(body=page)
    cid = seed_case([local_web.url("casino.test")], text=CASINO_TEXT)
    outcome, _, detail, _ = one_round(db, vsettings, cid)
    assert outcome == "reachable_same" and "found again" in detail["why"]


def test_fetch_errors_outside_the_known_causes_are_http_errors() -> None:
    from kuzet.verify import classify_error

    assert classify_error(FetchError("x: invalid URL", url="x")).outcome == "http_error"
