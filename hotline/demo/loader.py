"""The demo world: the Tunisian and Moroccan portals, one analyst, one partner viewer and one ISP
member."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from hotline.accounts.actions import (
    add_totp_device,
    create_staff_user,
    generate_password,
    grant_portal_roles,
)
from hotline.accounts.models import Role, StaffUser
from hotline.assessment.actions import set_qa_policy
from hotline.audit.actions import SYSTEM
from hotline.members.actions import create_member, issue_api_key
from hotline.members.models import Member, MemberKind, Scope
from hotline.portals.actions import launch_portal
from hotline.portals.spec import LAUNCH_FILES_DIR, load_portal_spec

DEMO_PORTALS = ("tn", "ma")
DEMO_ANALYST = "demo-analyst"
# A partner (a ministry, a funder) reads the demo portals' figures at /staff/figures/.
DEMO_PARTNER = "demo-partner"
DEMO_MEMBER = "Demo ISP (Tunisia)"


@dataclass(frozen=True)
class DemoCredentials:
    username: str
    password: str
    otpauth_uri: str
    totp_key_hex: str
    api_key: str
    partner: DemoAccount


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    otpauth_uri: str


@transaction.atomic
def load_demo() -> DemoCredentials | None:
    """Launch the demo portals and create the demo analyst, partner viewer and member.

    Idempotent: portals are brought in line with their files; accounts are created only on a
    fresh database, and only then are their secrets returned (they are stored hashed).
    """
    portals = [
        launch_portal(load_portal_spec(LAUNCH_FILES_DIR / f"{code}.toml")).portal
        for code in DEMO_PORTALS
    ]
    if (
        StaffUser.objects.filter(username=DEMO_ANALYST).exists()
        or Member.objects.filter(name=DEMO_MEMBER).exists()
    ):
        return None
    for portal in portals:
        # One demo analyst could never have their assessments checked by a second one: the
        # demo acts on each at once rather than leave it waiting in QA.
        set_qa_policy(portal=portal, first_assessments=0, sample_percent=0, actor=SYSTEM)
    password = generate_password(username=DEMO_ANALYST)
    analyst = create_staff_user(username=DEMO_ANALYST, password=password, is_demo=True)
    grant_portal_roles(user=analyst, portal_codes=DEMO_PORTALS, role=Role.ANALYST)
    device = add_totp_device(user=analyst)
    partner_password = generate_password(username=DEMO_PARTNER)
    partner = create_staff_user(username=DEMO_PARTNER, password=partner_password, is_demo=True)
    grant_portal_roles(user=partner, portal_codes=DEMO_PORTALS, role=Role.PARTNER_VIEWER)
    partner_device = add_totp_device(user=partner)
    member = create_member(name=DEMO_MEMBER, kind=MemberKind.ISP, country="TN", is_demo=True)
    _, api_key = issue_api_key(member=member, scopes=[Scope.URLLIST_READ], label="demo")
    return DemoCredentials(
        username=DEMO_ANALYST,
        password=password,
        otpauth_uri=device.config_url,
        totp_key_hex=device.key,
        api_key=api_key,
        partner=DemoAccount(DEMO_PARTNER, partner_password, partner_device.config_url),
    )
