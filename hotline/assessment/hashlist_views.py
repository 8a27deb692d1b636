"""The hash list under /staff/hashlist/: senior analysts and administrators read the entries,
add hashes (by uploading images, hashed here and never kept, or by pasting hashes), and
remove, correct and re-activate entries. Thin: the hash list's actions change it.

Analyst UI (assessment, layer 9) over the hash list (layer 5), like the takedown board. An
uploaded image lives only in this request's memory (`core.uploads.keep_uploads_in_memory`):
it is hashed and dropped, and nothing of it but its hashes goes anywhere, the audit log
included; its result page is rendered in answer to the upload (not kept in the session)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from hotline.accounts.access import signed_in_staff, verified_staff_required
from hotline.accounts.models import PortalRole, Role, StaffUser
from hotline.assessment.hashlist_forms import (
    SIGNAL_LABELS,
    SOURCE_LABELS,
    STATE_LABELS,
    Choices,
    CorrectForm,
    HashListFilterForm,
    PasteForm,
    ReactivateForm,
    RemoveForm,
    UploadForm,
)
from hotline.assessment.models import ClassificationScheme, PortalScheme, SchemeOutcome
from hotline.audit.actions import staff_actor
from hotline.core.classification import OutcomeKind
from hotline.core.uploads import keep_uploads_in_memory
from hotline.hashlist import actions
from hotline.hashlist.history import current_version
from hotline.hashlist.models import EntryState, HashListEntry, HashSource
from hotline.hashlist.signals import SIGNAL_TYPES, NotAnImage, hash_image

PAGE_SIZE = 50
# Who keeps the hash list: senior analysts and administrators, of any portal (the list is
# one for the whole system).
KEEPERS = (Role.SENIOR_ANALYST, Role.ADMINISTRATOR)
# The hashes of an uploaded image that go on the list: PDQ finds the picture re-encoded or
# resized; SHA-256 and MD5 find the file itself, as members' tools most often compare.
UPLOADED_TYPES = ("pdq", "sha256", "md5")

View = Callable[..., HttpResponse]


def may_keep_hash_list(user: StaffUser) -> bool:
    return PortalRole.objects.filter(user=user, role__in=KEEPERS).exists()


def keepers_only(view: View) -> View:
    """Signed in with TOTP (else the sign-in page), and a senior analyst or administrator on
    some portal (else 403, with a page that says so)."""

    @verified_staff_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not may_keep_hash_list(signed_in_staff(request)):
            return render(request, "assessment/hashlist/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _criminal_outcomes(schemes: QuerySet[ClassificationScheme]) -> Choices:
    """The criminal categories of `schemes`, each code once, as (code, "code: label")."""
    choices: dict[str, str] = {}
    outcomes = SchemeOutcome.objects.filter(scheme__in=schemes, kind=OutcomeKind.CRIMINAL).order_by(
        "-scheme__is_default", "scheme_id", "position", "pk"
    )
    for outcome in outcomes:
        # The default scheme's labels are marked for translation (assessment/schemes.py).
        choices.setdefault(outcome.code, f"{outcome.code}: {_(outcome.label)}")
    return list(choices.items())


def user_categories(user: StaffUser) -> Choices:
    """What a keeper may file a hash under: the criminal categories of the schemes of the
    portals where they keep the list (the default scheme where a portal has none of its own)."""
    portals = PortalRole.objects.filter(user=user, role__in=KEEPERS).values("portal_id")
    own = PortalScheme.objects.filter(portal_id__in=portals)
    schemes = ClassificationScheme.objects.filter(pk__in=own.values("scheme_id"))
    if (
        PortalRole.objects.filter(user=user, role__in=KEEPERS)
        .exclude(portal_id__in=own.values("portal_id"))
        .exists()
    ):
        schemes = schemes | ClassificationScheme.objects.filter(is_default=True)
    return _criminal_outcomes(schemes)


def all_categories() -> Choices:
    """Every scheme's criminal categories: the list is one, whoever filed an entry."""
    return _criminal_outcomes(ClassificationScheme.objects.all())


def _actors(entries: list[HashListEntry]) -> dict[str, str]:
    """ "staff:12" -> the username, for the entries shown (one query)."""
    ids = {
        int(entry.added_by.partition(":")[2])
        for entry in entries
        if entry.added_by.startswith("staff:") and entry.added_by.partition(":")[2].isdigit()
    }
    users = StaffUser.objects.filter(pk__in=ids).values_list("pk", "username")
    return {f"staff:{pk}": username for pk, username in users}


def _row(entry: HashListEntry, actors: dict[str, str]) -> dict[str, Any]:
    return {
        "entry": entry,
        "kind": SIGNAL_LABELS.get(entry.signal_type, entry.signal_type),
        "source": SOURCE_LABELS.get(HashSource(entry.source), entry.source),
        "state": STATE_LABELS.get(EntryState(entry.state), entry.state),
        "added_by": actors.get(entry.added_by, entry.added_by),
    }


def _search(entries: QuerySet[HashListEntry], prefix: str, signal_type: str) -> QuerySet:
    """Entries whose hash is `prefix` or starts with it (lower-case hex, as the list stores
    them), of `signal_type` or of any type.

    A whole hash is looked up by equality, a beginning as a range as well as a prefix, so
    that the index on (signal type, value) finds them at any size of the list (a LIKE may not
    use it under a linguistic collation)."""
    kinds = [signal_type] if signal_type else list(SIGNAL_TYPES)
    whole = [k for k in kinds if SIGNAL_TYPES[k].hex_length == len(prefix)]
    longer = [k for k in kinds if SIGNAL_TYPES[k].hex_length > len(prefix)]
    return entries.filter(
        Q(signal_type__in=whole, value=prefix)
        | Q(
            signal_type__in=longer,
            value__gte=prefix,
            value__lt=prefix + "g",  # "g" follows every hex digit
            value__startswith=prefix,
        )
    )


@never_cache
@require_GET
@keepers_only
def entry_list(request: HttpRequest) -> HttpResponse:
    form = HashListFilterForm(request.GET, categories=all_categories())
    active = dict(
        HashListEntry.objects.filter(state=EntryState.ACTIVE)
        .values_list("signal_type")
        .annotate(n=Count("id"))
        .values_list("signal_type", "n")
    )
    context: dict[str, Any] = {
        "form": form,
        "rows": [],
        "page": None,
        "counts": [(SIGNAL_LABELS.get(k, k), active.get(k, 0)) for k in SIGNAL_TYPES],
        "total": sum(active.values()),
        "version": current_version(),
        "filtered": False,
    }
    if not form.is_valid():
        return render(request, "assessment/hashlist/list.html", context, status=400)
    data = form.cleaned_data
    entries = HashListEntry.objects.all()
    if data["q"]:
        entries = _search(entries, data["q"], data["signal_type"])
    elif data["signal_type"]:
        entries = entries.filter(signal_type=data["signal_type"])
    for name in ("state", "source", "category"):
        if data[name]:
            entries = entries.filter(**{name: data[name]})
    page = Paginator(entries.order_by("-pk"), PAGE_SIZE).get_page(data["page"] or 1)
    shown = list(page.object_list)
    actors = _actors(shown)
    query = request.GET.copy()
    query.pop("page", None)
    context.update(
        page=page,
        rows=[_row(entry, actors) for entry in shown],
        filtered=any(data[name] for name in ("signal_type", "state", "source", "category", "q")),
        query=query.urlencode(),
    )
    return render(request, "assessment/hashlist/list.html", context)


def _add_page(
    request: HttpRequest,
    *,
    upload: UploadForm | None = None,
    paste: PasteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    categories = user_categories(signed_in_staff(request))
    return render(
        request,
        "assessment/hashlist/add.html",
        {
            "upload_form": upload or UploadForm(categories=categories),
            "paste_form": paste or PasteForm(categories=categories),
            "pdq_floor": settings.HOTLINE_HASHLIST_PDQ_QUALITY_FLOOR,
        },
        status=status,
    )


@never_cache
@require_GET
@keepers_only
def add(request: HttpRequest) -> HttpResponse:
    return _add_page(request)


@dataclass
class Outcome:
    """What became of one hash given: added, already listed, re-activated or refused."""

    kind: str
    value: str
    status: str  # added, already_listed, reactivated, refused
    reason: str = ""
    entry_id: int | None = None


@dataclass
class ImageResult:
    """One uploaded file: its name (shown on the result page only, never kept) and the fate
    of each of its hashes, or why it was refused whole."""

    name: str
    refused: str = ""
    width: int = 0
    height: int = 0
    pdq_quality: int | None = None
    hashes: list[Outcome] = field(default_factory=list)


def _settle(result: actions.Added, given: list[Outcome]) -> None:
    """Mark each given hash added, already listed or re-activated, from `add_hashes`' answer."""
    status = dict.fromkeys(result.added, "added")
    status.update(dict.fromkeys(result.reactivated, "reactivated"))
    status.update(dict.fromkeys(result.already_listed, "already_listed"))
    ids = {
        (entry.signal_type, entry.value): entry.pk
        for entry in HashListEntry.objects.filter(pk__in=list(status))
    }
    for outcome in given:
        if outcome.status == "refused":
            continue
        outcome.entry_id = ids.get((outcome.kind, outcome.value))
        outcome.status = status.get(outcome.entry_id or 0, "already_listed")


def _image_result(upload: UploadedFile, floor: int) -> ImageResult:
    name = upload.name or "?"
    cap = int(settings.HOTLINE_MAX_BODY_BYTES)
    if (upload.size or 0) > cap:
        return ImageResult(
            name, refused=_("larger than %(mb)d MB") % {"mb": max(cap // 1_000_000, 1)}
        )
    try:
        hashes = hash_image(upload.read())
    except NotAnImage as error:
        # The reason, in English, says which check failed (a format, a size, damaged data).
        return ImageResult(
            name,
            refused=_("not an image this system can read (%(reason)s)") % {"reason": error.reason},
        )
    result = ImageResult(
        name, width=hashes.width, height=hashes.height, pdq_quality=hashes.pdq_quality
    )
    for kind in UPLOADED_TYPES:
        value = getattr(hashes, kind)
        if kind == "pdq" and hashes.pdq_quality < floor:
            reason = _(
                "PDQ quality %(quality)d is under %(floor)d: the picture has too little detail "
                "for its PDQ hash to tell it from others"
            ) % {"quality": hashes.pdq_quality, "floor": floor}
            result.hashes.append(Outcome(kind, value, "refused", reason))
        else:
            result.hashes.append(Outcome(kind, value, "pending"))
    return result


@keep_uploads_in_memory
@require_POST
@keepers_only
def upload(request: HttpRequest) -> HttpResponse:
    """Hash the uploaded images and put their hashes on the list, in one version."""
    user = signed_in_staff(request)
    categories = user_categories(user)
    form = UploadForm(request.POST, request.FILES, categories=categories)
    if not form.is_valid():
        return _add_page(request, upload=form, status=400)
    category = form.cleaned_data["category"]
    floor = int(settings.HOTLINE_HASHLIST_PDQ_QUALITY_FLOOR)
    images = [_image_result(one, floor) for one in form.cleaned_data["images"]]
    for one in form.cleaned_data["images"]:
        one.close()  # the bytes are not needed any more
    given = [o for image in images for o in image.hashes if o.status == "pending"]
    if given:
        result = actions.add_hashes(
            entries=[actions.NewHash(o.kind, o.value, category) for o in given],
            source=HashSource.SENIOR_UPLOAD,
            actor=staff_actor(user),
        )
        _settle(result, given)
    return _result_page(
        request, images=images, outcomes=[o for image in images for o in image.hashes]
    )


def _result_page(
    request: HttpRequest, *, outcomes: list[Outcome], images: list[ImageResult] | None = None
) -> HttpResponse:
    counts = {
        status: sum(1 for o in outcomes if o.status == status)
        for status in ("added", "reactivated", "already_listed", "refused")
    }
    return render(
        request,
        "assessment/hashlist/result.html",
        {
            "images": images,
            "outcomes": outcomes,
            "counts": counts,
            "refused_images": sum(1 for image in images or [] if image.refused),
            "labels": SIGNAL_LABELS,
        },
    )


@require_POST
@keepers_only
def paste(request: HttpRequest) -> HttpResponse:
    """Put pasted hashes on the list, in one version: all of them, or none if a line is wrong."""
    user = signed_in_staff(request)
    form = PasteForm(request.POST, categories=user_categories(user))
    if not form.is_valid():
        return _add_page(request, paste=form, status=400)
    pasted = form.cleaned_data["pasted"]
    category = form.cleaned_data["category"]
    try:
        result = actions.add_hashes(
            entries=[actions.NewHash(p.signal_type, p.value, category) for p in pasted],
            source=HashSource.SENIOR_PASTE,
            actor=staff_actor(user),
        )
    except actions.InvalidHashes as error:
        # The form checks every line first; whatever the list still refuses is named by line.
        for problem in error.problems:
            form.add_error(
                "hashes",
                _("Line %(n)d: %(problem)s")
                % {"n": pasted[problem.index].line, "problem": problem.message},
            )
        return _add_page(request, paste=form, status=400)
    outcomes = [Outcome(p.signal_type, p.value, "pending") for p in pasted]
    _settle(result, outcomes)
    return _result_page(request, outcomes=outcomes)


def _entry_page(
    request: HttpRequest,
    entry: HashListEntry,
    *,
    forms: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    categories = user_categories(signed_in_staff(request))
    forms = forms or {}
    return render(
        request,
        "assessment/hashlist/entry.html",
        {
            "row": _row(entry, _actors([entry])),
            "changes": entry.changes.order_by("version", "pk"),
            "remove_form": forms.get("remove") or RemoveForm(prefix="remove"),
            "correct_form": forms.get("correct")
            or CorrectForm(
                prefix="correct", categories=categories, initial={"category": entry.category}
            ),
            "reactivate_form": forms.get("reactivate")
            or ReactivateForm(prefix="reactivate", categories=categories),
        },
        status=status,
    )


def _entry(entry_id: int) -> HashListEntry:
    return get_object_or_404(HashListEntry.objects.select_related("added_in"), pk=entry_id)


def _back(entry: HashListEntry) -> HttpResponse:
    return HttpResponseRedirect(reverse("hashlist_staff:entry", args=[entry.pk]))


@never_cache
@require_GET
@keepers_only
def entry_detail(request: HttpRequest, entry_id: int) -> HttpResponse:
    return _entry_page(request, _entry(entry_id))


@require_POST
@keepers_only
def remove(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = _entry(entry_id)
    form = RemoveForm(request.POST, prefix="remove")
    if not form.is_valid():
        return _entry_page(request, entry, forms={"remove": form}, status=400)
    removed = actions.remove_hashes(
        entry_ids=[entry.pk],
        reason=form.cleaned_data["reason"],
        actor=staff_actor(signed_in_staff(request)),
    )
    if removed:
        messages.success(request, _("The hash is off the list."))
    else:
        messages.error(request, _("This hash was off the list already."))
    return _back(entry)


@require_POST
@keepers_only
def correct(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = _entry(entry_id)
    form = CorrectForm(
        request.POST, prefix="correct", categories=user_categories(signed_in_staff(request))
    )
    if not form.is_valid():
        return _entry_page(request, entry, forms={"correct": form}, status=400)
    try:
        actions.correct_hash_category(
            entry_id=entry.pk,
            category=form.cleaned_data["category"],
            reason=form.cleaned_data["reason"],
            actor=staff_actor(signed_in_staff(request)),
        )
    except actions.HashListError:
        messages.error(
            request, _("Only a hash on the list can change category; re-activate it first.")
        )
    else:
        messages.success(request, _("The category is corrected."))
    return _back(entry)


@require_POST
@keepers_only
def reactivate(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = _entry(entry_id)
    form = ReactivateForm(
        request.POST, prefix="reactivate", categories=user_categories(signed_in_staff(request))
    )
    if not form.is_valid():
        return _entry_page(request, entry, forms={"reactivate": form}, status=400)
    try:
        actions.reactivate_hash(
            entry_id=entry.pk,
            reason=form.cleaned_data["reason"],
            category=form.cleaned_data["category"] or None,
            actor=staff_actor(signed_in_staff(request)),
        )
    except actions.HashListError:
        # On the list already, itself or as another entry of the same hash.
        messages.error(request, _("This hash is on the list already."))
    else:
        messages.success(request, _("The hash is back on the list."))
    return _back(entry)
