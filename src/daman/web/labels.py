"""What the back office's pages call the codes they show (statuses, reasons of rights,
kinds), as messages of the catalogue: ``label(code)`` in a template, said with ``_()``.
A code with no label here is shown as it is."""

from __future__ import annotations

from daman.core.enums import CATEGORY_LABELS
from daman.core.i18n import N_

LABELS: dict[str, str] = {
    # claims
    "received": N_("Received"),
    "pending_review": N_("Pending review"),
    "adjudicated": N_("Adjudicated"),
    "approved": N_("Approved for payment"),
    "in_payment": N_("In a payment batch"),
    "paid": N_("Paid"),
    "accepted": N_("Accepted"),
    "partly_accepted": N_("Partly accepted"),
    "rejected": N_("Rejected"),
    "reduced": N_("Reduced"),
    "electronic": N_("Online"),
    "agency": N_("At an agency"),
    "import": N_("File import"),
    # payments (a transfer as its payee reads it)
    "pending": N_("Sent to the bank"),
    "settled": N_("Received on the account"),
    # pre-authorisations
    "submitted": N_("Submitted"),
    "info_requested": N_("Information requested"),
    "agreed": N_("Agreed"),
    "partly_agreed": N_("Partly agreed"),
    "refused": N_("Refused"),
    "cancelled": N_("Cancelled"),
    "invoiced": N_("Invoiced"),
    "hospitalisation": N_("Hospitalisation"),
    "multi_session": N_("A course of sessions"),
    "orthodontics": N_("Orthodontics"),
    "device": N_("Medical device"),
    "costly_care": N_("Costly care"),
    # exemptions
    "requested": N_("Waiting for a decision"),
    "granted": N_("Granted"),
    "first": N_("First request"),
    "renewal": N_("Renewal"),
    "active": N_("In force"),
    "upcoming": N_("Upcoming"),
    "expired": N_("Expired"),
    # family
    "principal": N_("Principal insured"),
    "spouse": N_("Spouse"),
    "child": N_("Child"),
    "M": N_("Male"),
    "F": N_("Female"),
    "divorce": N_("Divorce"),
    "death_of_principal": N_("Death of the principal"),
    "death": N_("Death"),
    "transfer": N_("Transfer"),
    "other": N_("Other"),
    # care categories (named once, in daman.core.enums)
    **{category.value: text for category, text in CATEGORY_LABELS.items()},
}

# The reasons of the rights check (daman.registry.rights.REASONS), as a person reads them.
RIGHTS: dict[str, str] = {
    "covered_principal": N_("Covered as principal insured"),
    "covered_dependent": N_("Covered as a dependent of a covered principal"),
    "covered_maintained_job_loss": N_("Affiliation ended: rights maintained for a period"),
    "covered_maintained_no_contributions": N_(
        "Declarations or payments stopped: rights maintained for a period"
    ),
    "covered_maintained_divorce": N_("Divorced spouse: rights maintained for a period"),
    "covered_maintained_survivor": N_("Surviving spouse or child: rights maintained for a period"),
    "covered_ald_maintained": N_("Rights kept by an ALD exemption in force"),
    "deceased": N_("Deceased"),
    "no_affiliation": N_("No affiliation or dependent link covers today"),
    "no_rights_rule": N_("No rights rule of the regime is in force"),
    "rights_not_open": N_("The opening conditions (declared days) are not met yet"),
    "waiting_period": N_("The waiting period after the first paid contribution is running"),
    "contributions_unpaid": N_("No paid contribution or declaration keeps rights open"),
    "affiliation_ended": N_("The affiliation ended and maintained rights have run out"),
    "rsu_above_threshold": N_("The RSU score is above the regime's threshold"),
    "rsu_score_missing": N_("The regime needs an RSU score and none valid is recorded"),
    "principal_not_covered": N_("The principal insured is not covered"),
    "dependent_link_ended": N_("The dependent link has ended"),
    "dependent_child_over_age": N_("The child is past the age limit"),
    "survivor_rights_ended": N_("Maintained rights after the principal's death have run out"),
}


def label(code: object) -> str:
    """The message id naming a code (translated by the template's ``_``)."""
    text = str(code.value if hasattr(code, "value") else code)
    return LABELS.get(text, text)


def rights_label(reason: str) -> str:
    return RIGHTS.get(reason, reason)
