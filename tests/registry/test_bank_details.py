"""A person's bank account (RIB) is read by the fund's payment officers and by the person
themselves: not by a controller, not by the principal for a dependent, never by a
provider."""

from __future__ import annotations

from datetime import date
from typing import Any

from daman.accounts import builders
from daman.accounts.builders import bearer
from daman.auth.models import Role
from daman.registry import builders as b


def test_an_insured_person_reads_their_own_rib_and_not_a_dependents(anonymous, session):
    member = b.insured(session, valid_from=date(2010, 1, 1))
    member.rib = b.valid_rib(7001)
    spouse = b.dependent(session, member, relationship="spouse", birth_date=date(1984, 2, 2))
    spouse.rib = b.valid_rib(7002)
    session.flush()
    me = bearer(session, builders.user(session, Role.INSURED, person=member.immatriculation))

    def get(path: str, headers: dict[str, str]) -> Any:
        r = anonymous.get(f"/api/v1{path}", headers=headers)
        assert r.status_code == 200, r.text
        return r.json()

    assert get(f"/insured/{member.immatriculation}", me)["rib"] == member.rib
    assert get(f"/insured/{spouse.immatriculation}", me)["rib"] is None
    listed = get(f"/insured/{member.immatriculation}/dependents", me)
    assert [d["person"]["rib"] for d in listed] == [None]
    # the spouse, signed in, reads her own
    herself = bearer(session, builders.user(session, Role.INSURED, person=spouse.immatriculation))
    assert get(f"/insured/{spouse.immatriculation}", herself)["rib"] == spouse.rib

    agent = bearer(session, builders.user(session, Role.AGENT))
    assert get(f"/insured/{spouse.immatriculation}", agent)["rib"] == spouse.rib
    staff_list = get(f"/insured/{member.immatriculation}/dependents", agent)
    assert [d["person"]["rib"] for d in staff_list] == [spouse.rib]
    controller = bearer(session, builders.user(session, Role.CONTROLLER))
    assert get(f"/insured/{member.immatriculation}", controller)["rib"] is None
    assert [
        d["person"]["rib"] for d in get(f"/insured/{member.immatriculation}/dependents", controller)
    ] == [None]
    # a provider reaches no person record at all
    provider = bearer(session, builders.user(session, Role.PROVIDER))
    r = anonymous.get(f"/api/v1/insured/{member.immatriculation}", headers=provider)
    assert r.status_code == 403
