"""Reminders before an ALD exemption ends, through the notifications outbox.

An exemption ending within ``DAMAN_ALD_REMINDER_DAYS`` (60) days gets one reminder, in the
patient's language, sent to the address of the request that was granted it, unless a
renewal is already asked for or granted. Each (exemption, end date) is reminded once: running the
command every day is the intended use; an exemption extended to a new end date is reminded
again before that one.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session, aliased

from daman.config import get_settings
from daman.exemptions.models import AldExemptionRequest, RequestKind, RequestStatus
from daman.notifications import service as notifications
from daman.notifications.models import Notification
from daman.notifications.texts import render
from daman.reference.models import AldDisease
from daman.registry.models import AldExemption, Person

TOPIC = "ald_expiring"


def reference_of(exemption: AldExemption) -> str:
    """The outbox reference of an exemption's reminder for its current end date."""
    assert exemption.valid_to is not None
    return f"ALD{exemption.id}/{exemption.valid_to.isoformat()}"


def queue_reminders(session: Session, on: date, actor: str) -> int:
    """Queue the reminders due on `on`; how many were queued."""
    until = on + timedelta(days=get_settings().ald_reminder_days)
    renewal = aliased(AldExemptionRequest)
    renewal_open = exists().where(
        renewal.person_id == AldExemption.person_id,
        renewal.ald_code == AldExemption.ald_code,
        renewal.kind == RequestKind.RENEWAL,
        renewal.status == RequestStatus.REQUESTED,
    )
    later = aliased(AldExemption)
    renewed = exists().where(  # a later period of the disease is already granted
        later.person_id == AldExemption.person_id,
        later.ald_code == AldExemption.ald_code,
        later.valid_from > AldExemption.valid_to,
    )
    rows = session.execute(
        select(AldExemption, AldExemptionRequest.notify_email, Person, AldDisease)
        .join(AldExemptionRequest, AldExemptionRequest.exemption_id == AldExemption.id)
        .join(Person, Person.id == AldExemption.person_id)
        .join(AldDisease, AldDisease.code == AldExemption.ald_code)
        .where(
            and_(AldExemption.valid_to >= on, AldExemption.valid_to <= until),
            AldExemptionRequest.notify_email.is_not(None),
            ~renewal_open,
            ~renewed,
        )
        .order_by(AldExemption.valid_to, AldExemption.id)
    ).all()
    queued = 0
    for exemption, email, person, disease in rows:
        reference = reference_of(exemption)
        already = session.scalar(
            select(Notification.id).where(
                Notification.topic == TOPIC, Notification.reference == reference
            )
        )
        if already is not None:
            continue
        subject, body = render(
            TOPIC,
            person.preferred_language,
            {
                "patient": person.immatriculation,
                "ald_code": exemption.ald_code,
                "ald_name": (person.preferred_language == "ar" and disease.name_ar)
                or disease.name_fr,
                "valid_to": exemption.valid_to,
            },
        )
        notifications.queue(
            session,
            recipient=email,
            subject=subject,
            body=body,
            topic=TOPIC,
            reference=reference,
            actor=actor,
        )
        queued += 1
    return queued
