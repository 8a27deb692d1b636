"""A notice as an e-mail: written from the recipient's language's template, sent through
Django's mailer (SMTP in production; a real SMTP server on loopback in the tests).

The template's first line is the subject; the rest is the body. Templates live in
templates/takedown/notice/<language>.txt, one per language in routing.NOTICE_LANGUAGES, so a
hotline can have its legal wording reviewed per language without touching code.
"""

from __future__ import annotations

from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from hotline.core.mail import mail_configured
from hotline.takedown.models import Capture, Notice
from hotline.takedown.routing import NOTICE_LANGUAGES

# What the request rests on, unless the portal's launch file says otherwise (option
# "takedown_legal_basis"): the two Council of Europe conventions on which national laws
# against child sexual abuse material are built.
DEFAULT_LEGAL_BASIS = {
    "en": "Council of Europe Convention on Cybercrime (Budapest Convention), Article 9; "
    "Council of Europe Convention on the Protection of Children against Sexual Exploitation "
    "and Sexual Abuse (Lanzarote Convention), Article 20.",
    "fr": "Convention du Conseil de l'Europe sur la cybercriminalité (Convention de Budapest), "
    "article 9 ; Convention du Conseil de l'Europe sur la protection des enfants contre "
    "l'exploitation et les abus sexuels (Convention de Lanzarote), article 20.",
    "ar": "اتفاقية مجلس أوروبا بشأن الجريمة الإلكترونية (اتفاقية بودابست)، المادة 9؛ "
    "اتفاقية مجلس أوروبا لحماية الأطفال من الاستغلال الجنسي والاعتداء الجنسي "
    "(اتفاقية لانزاروت)، المادة 20.",
}


class NotSent(Exception):
    """The notice could not be handed to a mail server; the message says why."""


def notice_reference(notice: Notice) -> str:
    """The reference a recipient quotes in their answer: portal, case and notice."""
    case = notice.takedown.case
    return f"{case.portal.reference_prefix}-NTD-{case.pk}-{notice.pk}"


def render_notice(notice: Notice) -> tuple[str, str]:
    """(subject, body) of `notice` in its language."""
    language = notice.language if notice.language in NOTICE_LANGUAGES else "en"
    case = notice.takedown.case
    capture = Capture.objects.filter(case=case, error_kind="").order_by("-captured_at").first()
    urls = [case.canonical_url]
    if capture is not None and capture.final_url and capture.final_url not in urls:
        urls.append(capture.final_url)
    text = render_to_string(
        f"takedown/notice/{language}.txt",
        {
            "reference": notice_reference(notice),
            "recipient": notice.recipient_name,
            "urls": urls,
            "image_count": capture.image_count if capture else 0,
            "category": case.category,
            "confirmed_at": notice.takedown.confirmed_at,
            "legal_basis": DEFAULT_LEGAL_BASIS[language],
            "portal": case.portal.name_in(language),
            "level": notice.level,
        },
    )
    subject, _, body = text.strip().partition("\n")
    return subject.strip(), body.strip() + "\n"


def send_notice_email(notice: Notice) -> str:
    """Hand `notice` to the mail server; returns its Message-ID. Raises NotSent."""
    if not mail_configured():
        raise NotSent("No mail server is configured (HOTLINE_EMAIL_HOST).")
    if not notice.email:
        raise NotSent("The notice has no recipient address: route it by hand.")
    subject, body = render_notice(notice)
    message_id = make_msgid(domain="hotline.invalid")
    headers = {"Message-ID": message_id}
    reply_to = [settings.HOTLINE_NOTICE_REPLY_TO] if settings.HOTLINE_NOTICE_REPLY_TO else []
    email = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.HOTLINE_NOTICE_FROM or None,
        to=[notice.email],
        reply_to=reply_to,
        headers=headers,
    )
    try:
        email.send()
    except Exception as error:  # any failure of the mail server is a failed delivery
        raise NotSent(f"{type(error).__name__}: {error}") from error
    return message_id
