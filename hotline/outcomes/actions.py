"""Carrying out what outcomes/decide.py decided: the case's new status and its list effects."""

from __future__ import annotations

from hotline.audit.actions import audited_action, record_event
from hotline.cases.actions import move_case
from hotline.cases.models import Case
from hotline.outcomes.decide import Decision, ListEffect, Result, Source, TakedownEffect, decide
from hotline.takedown.actions import start_takedown, withdraw_takedown
from hotline.urllist.actions import (
    add_domain_to_url_list,
    add_to_url_list,
    remove_from_url_list,
)


@audited_action
def settle_case(
    *, case: Case, result: Result, source: Source, actor: str, needs_qa: bool = False
) -> Decision:
    """Give `case` the result `result` from `source`, and set its consequences in motion.

    The case moves to the decided status (refused by the states table if it may not), the
    URL list gets the decided change (added or recategorised for criminal content, removed for
    a result that overturns one), and notice and takedown starts or is withdrawn. All in the
    caller's transaction: a refused move changes nothing. Audits `outcomes.case_settled` with
    the source, the result and the decision, besides the case's and the list's own events.
    """
    decision = decide(result=result, source=source, needs_qa=needs_qa)
    duplicate_of = (
        Case.objects.get(pk=result.duplicate_of) if result.duplicate_of is not None else None
    )
    moved = move_case(
        case=case,
        to=decision.status,
        actor=actor,
        reason=source.value,
        outcome=None if needs_qa else result.kind,
        category=result.category,
        duplicate_of=duplicate_of,
    )
    portal = moved.portal.code
    if decision.url_list == ListEffect.PUT:
        add_to_url_list(
            url=moved.canonical_url,
            category=result.category,
            case_id=moved.pk,
            actor=actor,
            portal=portal,
        )
    elif decision.url_list == ListEffect.REMOVE:
        remove_from_url_list(
            url=moved.canonical_url, reason=source.value, actor=actor, portal=portal
        )
    if decision.takedown == TakedownEffect.START:
        start_takedown(case=moved, actor=actor)
    elif decision.takedown == TakedownEffect.WITHDRAW:
        withdraw_takedown(case=moved, reason=source.value, actor=actor)
    record_event(
        actor=actor,
        action="outcomes.case_settled",
        target=moved,
        portal=portal,
        data={
            "source": source.value,
            "kind": result.kind.value,
            "category": result.category,
            "duplicate_of": result.duplicate_of,
            "status": decision.status.value,
            "url_list": decision.url_list.value,
            "takedown": decision.takedown.value,
        },
    )
    return decision


@audited_action
def list_whole_domain(*, case: Case, domain: str, actor: str) -> None:
    """Put the whole of `domain` (and every name under it) on the URL list, with the category
    of `case`: the decision that the site is dedicated to abuse, taken by an analyst on a
    confirmed case and never automatically (assessment.actions.decide_whole_domain checks
    who and which domains). Audits `outcomes.domain_listed`, besides the list's own event.
    """
    entry = add_domain_to_url_list(
        domain=domain,
        category=case.category,
        case_id=case.pk,
        actor=actor,
        portal=case.portal.code,
    )
    record_event(
        actor=actor,
        action="outcomes.domain_listed",
        target=case,
        portal=case.portal.code,
        data={"domain": entry.domain, "category": entry.category, "entry": entry.pk},
    )
