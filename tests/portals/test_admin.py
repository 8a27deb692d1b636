"""Administrators manage portals, partners and help resources in the admin, audited."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from hotline.audit.chain import verify_chain
from hotline.audit.models import AuditEvent
from hotline.portals.models import Partner, Portal
from tests.accounts.test_admin import admin_client
from tests.portals.test_launch import png


def portal_form(portal: Portal, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "country": portal.country,
        "status": portal.status,
        "languages": json.dumps(portal.languages),
        "default_language": portal.default_language,
        "names": json.dumps(portal.names),
        "taglines": json.dumps(portal.taglines),
        "owner": json.dumps(portal.owner),
        "authority": json.dumps(portal.authority),
        "options": json.dumps(portal.options),
        "partnerships-TOTAL_FORMS": "0",
        "partnerships-INITIAL_FORMS": "0",
        "help_resources-TOTAL_FORMS": "0",
        "help_resources-INITIAL_FORMS": "0",
    }
    changes = dict(changes)
    # Fields with callable defaults carry their initial value in a hidden input, as a browser
    # would send it back.
    for name in ["languages", "names", "taglines", "owner", "authority", "options"]:
        data[f"initial-{name}"] = data[name]
    data.update(changes)
    return data


def test_an_administrator_suspends_a_portal_in_the_admin_and_it_is_audited(
    client: Client, tn: Portal
) -> None:
    admin = admin_client(client)
    response = admin.post(
        f"/admin/portals/portal/{tn.pk}/change/", portal_form(tn, status="suspended")
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    tn.refresh_from_db()
    assert tn.status == "suspended"
    event = AuditEvent.objects.filter(action="admin.changed", target_id=str(tn.pk)).get()
    assert event.data["fields"] == ["status"]
    assert verify_chain().intact


def test_the_admin_refuses_what_a_launch_file_would_refuse(client: Client, tn: Portal) -> None:
    admin = admin_client(client)
    response = admin.post(
        f"/admin/portals/portal/{tn.pk}/change/",
        portal_form(tn, options=json.dumps({"primary_colour": "#ffff00"}), default_language="es"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "WCAG AA needs 4.5:1" in page
    assert "The default language must be one of languages." in page
    assert not AuditEvent.objects.filter(action="admin.changed").exists()


def test_logo_uploads_are_checked_and_svg_is_refused(client: Client, tn: Portal) -> None:
    admin = admin_client(client)
    partner = Partner.objects.get(name="Council of Europe")
    form = {
        "name": partner.name,
        "names": json.dumps(partner.names),
        "kind": partner.kind,
        "website": partner.website,
    }
    svg = SimpleUploadedFile("logo.svg", b"<svg onload='alert(1)'/>", "image/svg+xml")
    response = admin.post(
        f"/admin/portals/partner/{partner.pk}/change/", {**form, "logo_file": svg}
    )
    assert response.status_code == 200
    assert "SVG logos are not accepted; export the logo as PNG" in response.content.decode()
    partner.refresh_from_db()
    assert partner.logo is None
    upload = SimpleUploadedFile("logo.png", png(300, 100), "image/png")
    response = admin.post(
        f"/admin/portals/partner/{partner.pk}/change/", {**form, "logo_file": upload}
    )
    assert response.status_code == 302
    partner.refresh_from_db()
    assert partner.logo is not None and partner.logo.width == 300
    served = client.get(f"/assets/{partner.logo.sha256}.png")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert "immutable" in served["Cache-Control"]
    assert AuditEvent.objects.filter(action="admin.changed", target_id=str(partner.pk)).exists()


def test_portals_cannot_be_deleted_only_suspended(client: Client, tn: Portal) -> None:
    admin = admin_client(client)
    assert admin.get(f"/admin/portals/portal/{tn.pk}/delete/").status_code == 403


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("taglines", json.dumps(["x"]), "Give one text per language"),
        ("names", json.dumps("Tunisie"), "Give one text per language"),
        ("names", json.dumps({"fr": "Portail"}), "Give a text in [&#x27;ar&#x27;, &#x27;en&#x27;]"),
        ("owner", json.dumps({"email": "not-an-address"}), "is not an e-mail address"),
        ("authority", json.dumps({"website": "javascript:alert(1)"}), "is not a web address"),
    ],
)
def test_the_admin_checks_what_a_portal_shows_like_a_launch_file(
    client: Client, tn: Portal, field: str, value: str, message: str
) -> None:
    admin = admin_client(client)
    response = admin.post(
        f"/admin/portals/portal/{tn.pk}/change/", portal_form(tn, **{field: value})
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert client.get("/tn/fr/").status_code == 200  # the public pages still work


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"languages": "5"}, "Must be a list drawn from"),
        ({"phone": "not a phone <b>"}, "is not a phone number"),
        ({"phone": "", "website": ""}, "Give a phone number or a website"),
    ],
)
def test_help_resources_in_the_admin_follow_the_launch_file_rules(
    client: Client, tn: Portal, changes: dict[str, str], message: str
) -> None:
    admin = admin_client(client)
    resource = tn.help_resources.first()
    assert resource is not None
    row = {
        "help_resources-TOTAL_FORMS": "1",
        "help_resources-INITIAL_FORMS": "1",
        "help_resources-0-id": str(resource.pk),
        "help_resources-0-portal": str(tn.pk),
        "help_resources-0-kind": resource.kind,
        "help_resources-0-name": resource.name,
        "help_resources-0-names": json.dumps(resource.names),
        "help_resources-0-initial-names": json.dumps(resource.names),
        "help_resources-0-phone": resource.phone,
        "help_resources-0-website": resource.website,
        "help_resources-0-languages": json.dumps(resource.languages),
        "help_resources-0-initial-languages": json.dumps(resource.languages),
        "help_resources-0-position": str(resource.position),
    }
    row.update({f"help_resources-0-{k}": v for k, v in changes.items()})
    response = admin.post(f"/admin/portals/portal/{tn.pk}/change/", portal_form(tn, **row))
    assert response.status_code == 200 and message in response.content.decode()
    assert client.get("/tn/fr/").status_code == 200
