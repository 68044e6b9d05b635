"""The messages Daman sends (subject, body), from the catalogue of texts, in the language
of the person they are about (ar, fr or en; another language falls back to French).

Values are given already formatted (amounts as "1234.50 MAD", dates ISO); a value may be a
Text, said in the same language.
"""

from __future__ import annotations

from collections.abc import Mapping

from daman.core.i18n import N_, Text, translate

FOOTER = N_("Daman, mandatory health insurance. Automatic message, do not reply.")

# topic -> (subject, body)
TEXTS: dict[str, tuple[str, str]] = {
    "preauth_agreed": (
        N_("Authorisation %(number)s agreed"),
        N_(
            "The authorisation request %(number)s for patient %(patient)s is agreed "
            "(%(status)s), valid from %(valid_from)s to %(valid_to)s.\n"
            "AMO covers %(agreed_amo)s. Patient's share: %(patient_share)s.\n"
            "%(lines)s%(reason)s"
        ),
    ),
    "preauth_refused": (
        N_("Authorisation %(number)s refused"),
        N_(
            "The authorisation request %(number)s for patient %(patient)s is refused.\n"
            "Reason: %(reason)s"
        ),
    ),
    "preauth_info_requested": (
        N_("Authorisation %(number)s: information requested"),
        N_(
            "To answer the authorisation request %(number)s (patient %(patient)s), medical "
            "control asks:\n"
            "%(reason)s\n"
            "The answer time is paused until you reply."
        ),
    ),
    "ald_granted": (
        N_("ALD exemption granted (%(ald_code)s)"),
        N_(
            "The exemption from the patient share for condition %(ald_code)s (%(ald_name)s) "
            "is granted to %(patient)s, from %(valid_from)s to %(valid_to)s.\n"
            "Care linked to this condition is covered at the ALD rate. "
            "Request %(number)s.%(reason)s"
        ),
    ),
    "ald_expiring": (
        N_("ALD exemption %(ald_code)s: ends on %(valid_to)s"),
        N_(
            "The exemption from the patient share of %(patient)s for condition %(ald_code)s "
            "(%(ald_name)s) ends on %(valid_to)s.\n"
            "To extend it, ask for its renewal with a recent medical report before that "
            "date."
        ),
    ),
    "ald_refused": (
        N_("ALD exemption refused (%(ald_code)s)"),
        N_(
            "The exemption request %(number)s for condition %(ald_code)s (%(ald_name)s) of "
            "%(patient)s is refused.\n"
            "Reason: %(reason)s"
        ),
    ),
}

FOREVER = Text("no end date")  # the end of an exemption granted for life


def render(topic: str, lang: str, values: Mapping[str, object]) -> tuple[str, str]:
    """(subject, body) of a topic in a language, values filled in."""
    subject, body = TEXTS[topic]
    return (
        translate(subject, lang, **values),
        translate(body, lang, **values) + "\n\n-- \n" + translate(FOOTER, lang),
    )
