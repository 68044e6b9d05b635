"""The messages Daman sends, in French, Arabic and English (subject, body).

Values are given already formatted (amounts as "1234.50 MAD", dates ISO). An unknown
language falls back to French.
"""

from __future__ import annotations

from collections.abc import Mapping

_FOOTER = {
    "fr": "\n\n-- \nDaman, assurance maladie obligatoire. Message automatique, ne pas répondre.",
    "en": "\n\n-- \nDaman, mandatory health insurance. Automatic message, do not reply.",
    "ar": "\n\n-- \nضمان، التأمين الإجباري الأساسي عن المرض. رسالة آلية، المرجو عدم الرد.",
}

TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "preauth_agreed": {
        "fr": (
            "Prise en charge {number} accordée",
            "La demande de prise en charge {number} pour le patient {patient} est accordée "
            "({status}), valable du {valid_from} au {valid_to}.\n"
            "Montant pris en charge par l'AMO : {agreed_amo}. Part du patient : "
            "{patient_share}.\n{lines}{reason}",
        ),
        "en": (
            "Authorisation {number} agreed",
            "The authorisation request {number} for patient {patient} is agreed ({status}), "
            "valid from {valid_from} to {valid_to}.\n"
            "AMO covers {agreed_amo}. Patient's share: {patient_share}.\n{lines}{reason}",
        ),
        "ar": (
            "تمت الموافقة على طلب التحمل {number}",
            "تمت الموافقة على طلب التحمل {number} الخاص بالمريض {patient} ({status})، "
            "صالحة من {valid_from} إلى {valid_to}.\n"
            "المبلغ المتكفل به: {agreed_amo}. حصة المريض: {patient_share}.\n{lines}{reason}",
        ),
    },
    "preauth_refused": {
        "fr": (
            "Prise en charge {number} refusée",
            "La demande de prise en charge {number} pour le patient {patient} est refusée.\n"
            "Motif : {reason}",
        ),
        "en": (
            "Authorisation {number} refused",
            "The authorisation request {number} for patient {patient} is refused.\n"
            "Reason: {reason}",
        ),
        "ar": (
            "رفض طلب التحمل {number}",
            "تم رفض طلب التحمل {number} الخاص بالمريض {patient}.\nالسبب: {reason}",
        ),
    },
    "preauth_info_requested": {
        "fr": (
            "Prise en charge {number} : informations demandées",
            "Pour répondre à la demande de prise en charge {number} (patient {patient}), le "
            "contrôle médical demande :\n{reason}\nLe délai de réponse est suspendu jusqu'à "
            "votre réponse.",
        ),
        "en": (
            "Authorisation {number}: information requested",
            "To answer the authorisation request {number} (patient {patient}), medical "
            "control asks:\n{reason}\nThe answer time is paused until you reply.",
        ),
        "ar": (
            "طلب التحمل {number}: معلومات إضافية مطلوبة",
            "للبت في طلب التحمل {number} (المريض {patient})، تطلب المراقبة الطبية:\n{reason}\n"
            "يتوقف احتساب أجل الجواب إلى حين ردكم.",
        ),
    },
    "ald_granted": {
        "fr": (
            "Exonération ALD accordée ({ald_code})",
            "L'exonération du ticket modérateur pour l'affection {ald_code} ({ald_name}) est "
            "accordée à {patient}, du {valid_from} au {valid_to}.\nLes soins liés à cette "
            "affection sont remboursés au taux ALD. Demande {number}.{reason}",
        ),
        "en": (
            "ALD exemption granted ({ald_code})",
            "The exemption from the patient share for condition {ald_code} ({ald_name}) is "
            "granted to {patient}, from {valid_from} to {valid_to}.\nCare linked to this "
            "condition is covered at the ALD rate. Request {number}.{reason}",
        ),
        "ar": (
            "تم منح الإعفاء ({ald_code})",
            "تم منح الإعفاء من الجزء المتبقي على عاتق المريض بالنسبة للمرض {ald_code} "
            "({ald_name}) لفائدة {patient}، من {valid_from} إلى {valid_to}.\nيتم تعويض العلاجات "
            "المرتبطة بهذا المرض بنسبة الأمراض المزمنة. الطلب {number}.{reason}",
        ),
    },
    "ald_expiring": {
        "fr": (
            "Exonération ALD {ald_code} : fin le {valid_to}",
            "L'exonération du ticket modérateur de {patient} pour l'affection {ald_code} "
            "({ald_name}) prend fin le {valid_to}.\nPour la prolonger, demandez son "
            "renouvellement avec un compte rendu médical récent avant cette date.",
        ),
        "en": (
            "ALD exemption {ald_code}: ends on {valid_to}",
            "The exemption from the patient share of {patient} for condition {ald_code} "
            "({ald_name}) ends on {valid_to}.\nTo extend it, ask for its renewal with a recent "
            "medical report before that date.",
        ),
        "ar": (
            "الإعفاء {ald_code}: ينتهي في {valid_to}",
            "ينتهي الإعفاء من الجزء المتبقي على عاتق {patient} بالنسبة للمرض {ald_code} "
            "({ald_name}) في {valid_to}.\nلتمديده، المرجو طلب تجديده مع تقرير طبي حديث قبل "
            "هذا التاريخ.",
        ),
    },
    "ald_refused": {
        "fr": (
            "Exonération ALD refusée ({ald_code})",
            "La demande d'exonération {number} pour l'affection {ald_code} ({ald_name}) de "
            "{patient} est refusée.\nMotif : {reason}",
        ),
        "en": (
            "ALD exemption refused ({ald_code})",
            "The exemption request {number} for condition {ald_code} ({ald_name}) of "
            "{patient} is refused.\nReason: {reason}",
        ),
        "ar": (
            "رفض طلب الإعفاء ({ald_code})",
            "تم رفض طلب الإعفاء {number} بالنسبة للمرض {ald_code} ({ald_name}) الخاص بـ "
            "{patient}.\nالسبب: {reason}",
        ),
    },
}

FOREVER = {"fr": "sans limite", "en": "no end date", "ar": "مدى الحياة"}


def render(topic: str, lang: str, values: Mapping[str, object]) -> tuple[str, str]:
    """(subject, body) of a topic in a language, values filled in."""
    texts = TEXTS[topic]
    lang = lang if lang in texts else "fr"
    subject, body = texts[lang]
    shown = {k: "" if v is None else str(v) for k, v in values.items()}
    return subject.format_map(shown), body.format_map(shown) + _FOOTER[lang]
