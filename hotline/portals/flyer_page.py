"""What a portal's flyer says, in its language, and a small cache of rendered flyers."""

from __future__ import annotations

import hashlib
from collections import OrderedDict

from django.utils import translation
from django.utils.translation import gettext as _

from hotline.portals.flyer import (
    FlyerContent,
    FlyerPartner,
    render_flyer_pdf,
    render_flyer_png,
)
from hotline.portals.models import Portal


def flyer_content(portal: Portal, language: str, address: str) -> FlyerContent:
    """The flyer's words in `language`, the portal's partners and help numbers."""
    with translation.override(language):
        help_numbers = [
            f"{h.name_in(language)}: {h.phone}"
            for h in portal.help_resources.all()
            if h.phone and h.shown_in(language)
        ]
        help_line = _(
            "This is not an emergency service. If a child is in danger now, call the police."
        )
        if help_numbers:
            help_line = f"{help_line} {' · '.join(help_numbers)}"
        links = portal.partnerships.select_related("partner", "partner__logo").order_by("position")
        return FlyerContent(
            language=language,
            right_to_left=translation.get_language_bidi(),
            portal_name=portal.name_in(language),
            address=address,
            heading=portal.tagline_in(language)
            or _("Report child sexual abuse images and videos online, anonymously."),
            points=[
                _("You can report anonymously. We never ask who you are."),
                _(
                    "The web address (the link) is all we need. "
                    "Do not download, save or share the images."
                ),
                _(
                    "Trained analysts assess every report; "
                    "confirmed images are blocked and removed."
                ),
            ],
            help_line=help_line,
            partners_heading=_("In partnership with"),
            partners=[
                FlyerPartner(
                    name=link.partner.name_in(language),
                    logo_png=bytes(link.partner.logo.data) if link.partner.logo else None,
                )
                for link in links
            ],
            primary_colour=portal.option("primary_colour"),
        )


_rendered: OrderedDict[str, bytes] = OrderedDict()
_CACHE_SIZE = 64


def render_flyer(content: FlyerContent, kind: str) -> bytes:
    """The flyer as PDF or PNG bytes; the same content is rendered once per process (a flyer
    takes a noticeable fraction of a second, and is asked for again and again)."""
    key = hashlib.sha256(repr((content, kind)).encode()).hexdigest()
    if key in _rendered:
        _rendered.move_to_end(key)
        return _rendered[key]
    data = render_flyer_pdf(content) if kind == "pdf" else render_flyer_png(content)
    _rendered[key] = data
    while len(_rendered) > _CACHE_SIZE:
        _rendered.popitem(last=False)
    return data
