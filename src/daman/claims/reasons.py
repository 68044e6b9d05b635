"""The catalogue of reason codes the engine puts on decisions, and their explanations.

Every line of a decision carries at least one code from `REASONS` (plus, for a line
rejected because the patient had no rights, the registry's own code as
``eligibility:<code>``). A code's severity says what it does to the line:

* ``reject``: the line is rejected (AMO 0, the patient keeps the whole amount);
* ``review``: the line waits for a controller (amounts are computed and shown, not paid);
* ``reduce``: the line is paid, but less than its full base or rate;
* ``info``: the line is paid as computed; the code explains something about it.

`explain(code, lang, **values)` renders a code in French, English or Arabic. Values fill
the placeholders of the full sentence; when one is missing the short sentence of the code
is used instead, so an explanation never fails. Value names ending in ``_centimes`` are
shown as amounts in MAD and names ending in ``_bp`` as percentages, under the name without
the suffix (``base_centimes=9500`` fills ``{base}`` with ``95.00 MAD``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from daman.core.money import BP, format_mad

LANGS = ("fr", "en", "ar")
DEFAULT_LANG = "fr"
ELIGIBILITY_PREFIX = "eligibility:"


class Severity(StrEnum):
    INFO = "info"
    REJECT = "reject"
    REVIEW = "review"
    REDUCE = "reduce"


@dataclass(frozen=True)
class Reason:
    code: str
    severity: Severity
    text: Mapping[str, str]  # lang -> sentence with {placeholders}
    short: Mapping[str, str]  # lang -> sentence without placeholders (the fallback)


def _r(
    code: str, severity: Severity, text: tuple[str, str, str], short: tuple[str, str, str]
) -> Reason:
    return Reason(
        code, severity, dict(zip(LANGS, text, strict=True)), dict(zip(LANGS, short, strict=True))
    )


_REJECT, _REVIEW, _REDUCE, _INFO = Severity.REJECT, Severity.REVIEW, Severity.REDUCE, Severity.INFO

# The order of this tuple is the order in which codes appear on a decision.
_CATALOGUE = (
    _r(
        "ok",
        _INFO,
        (
            "Ligne acceptée : l'AMO rembourse {amo} sur une base de {base}.",
            "Line accepted: AMO pays {amo} on a base of {base}.",
            "تم قبول السطر: يؤدي التأمين الإجباري الأساسي عن المرض {amo} على أساس {base}.",
        ),
        ("Ligne acceptée.", "Line accepted.", "تم قبول السطر."),
    ),
    _r(
        "invalid_line",
        _REJECT,
        (
            "Ligne incomplète ou incohérente (montant, quantité, coefficient ou dates).",
            "Incomplete or inconsistent line (amount, quantity, coefficient or dates).",
            "سطر ناقص أو غير متناسق (المبلغ أو الكمية أو المعامل أو التواريخ).",
        ),
        (
            "Ligne incomplète ou incohérente.",
            "Incomplete or inconsistent line.",
            "سطر ناقص أو غير متناسق.",
        ),
    ),
    _r(
        "not_eligible",
        _REJECT,
        (
            "Le patient n'avait pas de droits ouverts le {care_date}.",
            "The patient had no open rights on {care_date}.",
            "لم تكن للمريض حقوق مفتوحة بتاريخ {care_date}.",
        ),
        (
            "Le patient n'avait pas de droits ouverts à la date des soins.",
            "The patient had no open rights on the date of care.",
            "لم تكن للمريض حقوق مفتوحة في تاريخ العلاج.",
        ),
    ),
    _r(
        "late_filing",
        _REJECT,
        (
            "Dossier déposé le {deposit_date}, {days} jours après les soins : "
            "le délai est de {deadline_days} jours.",
            "Claim filed on {deposit_date}, {days} days after the care: "
            "the deadline is {deadline_days} days.",
            "أودع الملف بتاريخ {deposit_date}، أي بعد {days} يوما من العلاج، "
            "والأجل المحدد هو {deadline_days} يوما.",
        ),
        (
            "Dossier déposé hors délai.",
            "Claim filed after the deadline.",
            "أودع الملف خارج الأجل المحدد.",
        ),
    ),
    _r(
        "unknown_tariff",
        _REJECT,
        (
            "L'acte {act_key} n'a pas de tarif de référence en vigueur le {care_date}.",
            "Act {act_key} has no reference tariff in force on {care_date}.",
            "لا توجد تعريفة مرجعية سارية المفعول للعمل {act_key} بتاريخ {care_date}.",
        ),
        (
            "Acte sans tarif de référence en vigueur à la date des soins.",
            "The act has no reference tariff in force on the date of care.",
            "لا توجد تعريفة مرجعية سارية المفعول لهذا العمل في تاريخ العلاج.",
        ),
    ),
    _r(
        "unknown_drug",
        _REJECT,
        (
            "Le médicament {drug_code} ne figure pas sur la liste des médicaments remboursables.",
            "Medicine {drug_code} is not on the list of reimbursable medicines.",
            "الدواء {drug_code} غير مدرج في لائحة الأدوية القابلة للتعويض.",
        ),
        (
            "Médicament absent de la liste des médicaments remboursables.",
            "The medicine is not on the list of reimbursable medicines.",
            "الدواء غير مدرج في لائحة الأدوية القابلة للتعويض.",
        ),
    ),
    _r(
        "drug_not_listed_on_date",
        _REJECT,
        (
            "Le médicament {drug_code} n'était pas sur la liste le {care_date}.",
            "Medicine {drug_code} was not on the list on {care_date}.",
            "لم يكن الدواء {drug_code} مدرجا في اللائحة بتاريخ {care_date}.",
        ),
        (
            "Médicament non inscrit sur la liste à la date des soins.",
            "The medicine was not on the list on the date of care.",
            "لم يكن الدواء مدرجا في اللائحة في تاريخ العلاج.",
        ),
    ),
    _r(
        "drug_not_reimbursable",
        _REJECT,
        (
            "Le médicament {drug_code} n'est pas remboursable : son prix reste à la charge "
            "du patient.",
            "Medicine {drug_code} is not reimbursable: the patient pays its price.",
            "الدواء {drug_code} غير قابل للتعويض: يتحمل المريض ثمنه كاملا.",
        ),
        (
            "Médicament non remboursable : son prix reste à la charge du patient.",
            "The medicine is not reimbursable: the patient pays its price.",
            "الدواء غير قابل للتعويض: يتحمل المريض ثمنه كاملا.",
        ),
    ),
    _r(
        "authorisation_required",
        _REJECT,
        (
            "Ces soins ({care_date}) nécessitent un accord préalable de prise en charge : "
            "aucun accord valide ne les couvre pour ce patient et ce prestataire.",
            "This care ({care_date}) needs a prior authorisation: no valid authorisation "
            "covers it for this patient and this provider.",
            "تتطلب هذه العلاجات ({care_date}) موافقة مسبقة على التحمل: لا توجد موافقة سارية "
            "تغطيها لهذا المريض ولمقدم الخدمة هذا.",
        ),
        (
            "Soins soumis à accord préalable, sans accord de prise en charge valide.",
            "Care that needs a prior authorisation, without a valid one.",
            "علاجات تتطلب موافقة مسبقة، دون موافقة سارية على التحمل.",
        ),
    ),
    _r(
        "duplicate",
        _REJECT,
        (
            "Doublon : le même acte ou médicament, chez le même prestataire et à la même date "
            "({care_date}), a déjà été pris en charge pour ce patient.",
            "Duplicate: the same act or medicine, from the same provider on the same date "
            "({care_date}), has already been covered for this patient.",
            "تكرار: سبق التكفل لهذا المريض بنفس العمل أو الدواء لدى نفس مقدم الخدمة "
            "وفي نفس التاريخ ({care_date}).",
        ),
        (
            "Doublon : cette prestation a déjà été prise en charge.",
            "Duplicate: this item has already been covered.",
            "تكرار: سبق التكفل بهذه الخدمة.",
        ),
    ),
    _r(
        "ceiling_exhausted",
        _REJECT,
        (
            "Le plafond de {ceiling} sur {period_days} jours est déjà atteint pour cette "
            "catégorie de soins.",
            "The ceiling of {ceiling} per {period_days} days is already reached for this "
            "category of care.",
            "تم بلوغ السقف المحدد في {ceiling} عن كل {period_days} يوما لهذه الفئة من العلاجات.",
        ),
        (
            "Plafond de la catégorie de soins déjà atteint.",
            "The ceiling for this category of care is already reached.",
            "تم بلوغ سقف هذه الفئة من العلاجات.",
        ),
    ),
    _r(
        "frequency_exhausted",
        _REJECT,
        (
            "Le maximum de {max_quantity} sur {period_days} jours est déjà atteint.",
            "The limit of {max_quantity} per {period_days} days is already reached.",
            "تم بلوغ الحد الأقصى المحدد في {max_quantity} عن كل {period_days} يوما.",
        ),
        (
            "Nombre maximal de prestations déjà atteint pour la période.",
            "The maximum number of items for the period is already reached.",
            "تم بلوغ الحد الأقصى لعدد الخدمات خلال هذه المدة.",
        ),
    ),
    _r(
        "no_reference_price",
        _REVIEW,
        (
            "Pas de prix de référence pour cette prestation : la ligne est transmise au contrôle.",
            "No reference price for this item: the line is sent for review.",
            "لا يوجد ثمن مرجعي لهذه الخدمة: أحيل السطر على المراقبة.",
        ),
        (
            "Pas de prix de référence : ligne transmise au contrôle.",
            "No reference price: the line is sent for review.",
            "لا يوجد ثمن مرجعي: أحيل السطر على المراقبة.",
        ),
    ),
    _r(
        "no_rate",
        _REVIEW,
        (
            "Aucun taux de remboursement n'est défini pour cette prestation le {care_date} : "
            "la ligne est transmise au contrôle.",
            "No reimbursement rate is defined for this item on {care_date}: "
            "the line is sent for review.",
            "لا توجد نسبة تعويض محددة لهذه الخدمة بتاريخ {care_date}: أحيل السطر على المراقبة.",
        ),
        (
            "Aucun taux de remboursement défini : ligne transmise au contrôle.",
            "No reimbursement rate defined: the line is sent for review.",
            "لا توجد نسبة تعويض محددة: أحيل السطر على المراقبة.",
        ),
    ),
    _r(
        "missing_document",
        _REVIEW,
        (
            "Pièce justificative manquante (facture, compte rendu ou devis) : la ligne attend "
            "le document.",
            "Supporting document missing (invoice, report or estimate): the line waits for it.",
            "الوثيقة المثبتة مفقودة (فاتورة أو تقرير أو بيان تقديري): السطر في انتظار الإدلاء بها.",
        ),
        (
            "Pièce justificative manquante.",
            "Supporting document missing.",
            "الوثيقة المثبتة مفقودة.",
        ),
    ),
    _r(
        "above_review_threshold",
        _REVIEW,
        (
            "Base de {base}, au-dessus du seuil de {threshold} : un contrôleur vérifie la ligne "
            "avant paiement.",
            "Base of {base}, above the threshold of {threshold}: a controller checks the line "
            "before payment.",
            "الأساس {base} يتجاوز العتبة المحددة في {threshold}: يراجع مراقب السطر قبل الأداء.",
        ),
        (
            "Montant élevé : la ligne est vérifiée avant paiement.",
            "High amount: the line is checked before payment.",
            "مبلغ مرتفع: يراجع السطر قبل الأداء.",
        ),
    ),
    _r(
        "above_authorisation",
        _REVIEW,
        (
            "Base de {base}, au-delà de ce que l'accord de prise en charge laisse disponible : "
            "le dépassement est vérifié par un contrôleur.",
            "Base of {base}, beyond what the authorisation leaves available: "
            "a controller checks the over-run.",
            "الأساس {base} يتجاوز ما تبقى من الموافقة على التحمل: يراجع مراقب هذا التجاوز.",
        ),
        (
            "Dépassement de l'accord de prise en charge : ligne vérifiée.",
            "Beyond the authorisation: the line is checked.",
            "تجاوز للموافقة على التحمل: يجري التحقق من السطر.",
        ),
    ),
    _r(
        "suspected_duplicate",
        _REVIEW,
        (
            "Le même acte ou médicament a déjà été pris en charge pour ce patient le "
            "{care_date} chez un autre prestataire : la ligne est vérifiée.",
            "The same act or medicine was already covered for this patient on {care_date} "
            "from another provider: the line is checked.",
            "سبق التكفل لهذا المريض بنفس العمل أو الدواء بتاريخ {care_date} لدى مقدم خدمة آخر: "
            "يجري التحقق من السطر.",
        ),
        (
            "Doublon possible : la ligne est vérifiée.",
            "Possible duplicate: the line is checked.",
            "احتمال تكرار: يجري التحقق من السطر.",
        ),
    ),
    _r(
        "late_penalty",
        _REDUCE,
        (
            "Dossier déposé avec {months} mois de retard : le remboursement AMO est réduit "
            "de {penalty}.",
            "Claim filed {months} month(s) late: the AMO reimbursement is reduced by {penalty}.",
            "أودع الملف بتأخير {months} شهر: خُفض تعويض التأمين الإجباري بنسبة {penalty}.",
        ),
        (
            "Dossier déposé en retard : remboursement réduit.",
            "Claim filed late: reimbursement reduced.",
            "أودع الملف متأخرا: خُفض التعويض.",
        ),
    ),
    _r(
        "frequency_limit",
        _REDUCE,
        (
            "Quantité prise en charge limitée à {quantity} : au plus {max_quantity} sur "
            "{period_days} jours.",
            "Covered quantity limited to {quantity}: at most {max_quantity} per "
            "{period_days} days.",
            "حُددت الكمية المتكفل بها في {quantity}: الحد الأقصى {max_quantity} عن كل "
            "{period_days} يوما.",
        ),
        (
            "Quantité réduite : fréquence maximale atteinte.",
            "Quantity reduced: maximum frequency reached.",
            "خُفضت الكمية: تم بلوغ الحد الأقصى.",
        ),
    ),
    _r(
        "ceiling_reached",
        _REDUCE,
        (
            "Base limitée à {base} : le plafond de {ceiling} sur {period_days} jours est atteint.",
            "Base limited to {base}: the ceiling of {ceiling} per {period_days} days is reached.",
            "حُدد الأساس في {base}: تم بلوغ السقف المحدد في {ceiling} عن كل {period_days} يوما.",
        ),
        (
            "Base réduite : plafond de la catégorie de soins atteint.",
            "Base reduced: the ceiling for this category of care is reached.",
            "خُفض الأساس: تم بلوغ سقف هذه الفئة من العلاجات.",
        ),
    ),
    _r(
        "above_reference",
        _INFO,
        (
            "Montant facturé de {charged}, au-dessus du tarif de référence : la différence reste "
            "à la charge du patient.",
            "Charged {charged}, above the reference price: the difference stays with the patient.",
            "المبلغ المفوتر {charged} يتجاوز الثمن المرجعي: يتحمل المريض الفرق.",
        ),
        (
            "Le dépassement du tarif de référence reste à la charge du patient.",
            "What is charged above the reference price stays with the patient.",
            "يتحمل المريض ما يتجاوز الثمن المرجعي.",
        ),
    ),
    _r(
        "authorised",
        _INFO,
        (
            "Soins couverts par un accord de prise en charge : taux de {rate} de l'accord "
            "appliqué.",
            "Care covered by a prior authorisation: its rate of {rate} applies.",
            "علاج مشمول بموافقة مسبقة على التحمل: طُبقت نسبتها {rate}.",
        ),
        (
            "Soins couverts par un accord de prise en charge.",
            "Care covered by a prior authorisation.",
            "علاج مشمول بموافقة مسبقة على التحمل.",
        ),
    ),
    _r(
        "ald_exemption_applied",
        _INFO,
        (
            "Soins liés à l'affection exonérée {ald_code} : taux de {rate} appliqué.",
            "Care linked to the exempted condition {ald_code}: rate of {rate} applied.",
            "علاج مرتبط بالمرض المعفى {ald_code}: طُبقت نسبة {rate}.",
        ),
        (
            "Soins liés à une affection exonérée : taux de l'exonération appliqué.",
            "Care linked to an exempted condition: the exemption rate applies.",
            "علاج مرتبط بمرض معفى: طُبقت نسبة الإعفاء.",
        ),
    ),
    _r(
        "ald_not_exempted",
        _INFO,
        (
            "Ligne déclarée liée à l'affection {ald_code} sans exonération en cours : "
            "taux ordinaire appliqué.",
            "Line declared linked to condition {ald_code} without an active exemption: "
            "the ordinary rate applies.",
            "سطر مصرح بارتباطه بالمرض {ald_code} دون إعفاء ساري المفعول: طُبقت النسبة العادية.",
        ),
        (
            "Pas d'exonération en cours pour l'affection déclarée : taux ordinaire appliqué.",
            "No active exemption for the declared condition: the ordinary rate applies.",
            "لا يوجد إعفاء ساري المفعول للمرض المصرح به: طُبقت النسبة العادية.",
        ),
    ),
)

REASONS: dict[str, Reason] = {reason.code: reason for reason in _CATALOGUE}
ORDER: tuple[str, ...] = tuple(REASONS)
BIT: dict[str, int] = {code: 1 << i for i, code in enumerate(ORDER)}


def mask_of(severity: Severity) -> int:
    """The bits of every code of one severity (the engine tests flags against them)."""
    return sum(BIT[c] for c, r in REASONS.items() if r.severity is severity)


_ELIGIBILITY_TEXT = {
    "fr": "Motif indiqué par le registre des assurés : {detail}.",
    "en": "Reason given by the register of insured persons: {detail}.",
    "ar": "السبب حسب سجل المؤمن لهم: {detail}.",
}
_UNKNOWN_TEXT = {"fr": "Motif {code}.", "en": "Reason {code}.", "ar": "السبب: {code}."}
_MAD = {"fr": "MAD", "en": "MAD", "ar": "درهم"}


# Review decisions, explained like the engine's codes (same placeholders, same languages).
REVIEW_REASONS: dict[str, tuple[Severity, dict[str, str]]] = {
    "review_accepted": (
        Severity.INFO,
        {
            "fr": "Ligne acceptée après contrôle : {note}",
            "en": "Line accepted after review: {note}",
            "ar": "قُبل السطر بعد المراقبة: {note}",
        },
    ),
    "review_reduced": (
        Severity.REDUCE,
        {
            "fr": "Remboursement AMO réduit à {amo} après contrôle : {note}",
            "en": "AMO reimbursement reduced to {amo} after review: {note}",
            "ar": "خُفض تعويض التأمين الإجباري إلى {amo} بعد المراقبة: {note}",
        },
    ),
    "review_rejected": (
        Severity.REJECT,
        {
            "fr": "Ligne rejetée après contrôle : {note}",
            "en": "Line rejected after review: {note}",
            "ar": "رُفض السطر بعد المراقبة: {note}",
        },
    ),
}


def severity(code: str) -> Severity:
    """A code's severity; registry codes (``eligibility:...``) and unknown codes are info."""
    if code in REVIEW_REASONS:
        return REVIEW_REASONS[code][0]
    reason = REASONS.get(code)
    return reason.severity if reason else Severity.INFO


def _lang(lang: str) -> str:
    lang = (lang or "").lower()[:2]
    return lang if lang in LANGS else DEFAULT_LANG


def _percent(bp: int) -> str:
    """8000 -> '80 %', 1650 -> '16.5 %' (integers only)."""
    whole, hundredths = divmod(bp, BP // 100)
    return f"{whole} %" if not hundredths else f"{whole}.{hundredths:02d}".rstrip("0") + " %"


def _shown(values: Mapping[str, object], lang: str) -> dict[str, str]:
    """Values as text: amounts in MAD, rates in percent, dates in ISO form."""
    shown: dict[str, str] = {}
    for name, value in values.items():
        if value is None:
            continue
        if name.endswith("_centimes") and isinstance(value, int):
            shown[name.removesuffix("_centimes")] = f"{format_mad(value)} {_MAD[lang]}"
        elif name.endswith("_bp") and isinstance(value, int):
            shown[name.removesuffix("_bp")] = _percent(value)
        elif isinstance(value, date):
            shown[name] = value.isoformat()
        else:
            shown[name] = str(value)
    return shown


def explain(code: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    """The explanation of a code in a language (fr / en / ar; others fall back to French).

    Never raises: a missing value selects the code's short sentence, an unknown code is
    named as it is, and registry codes ``eligibility:<code>`` are shown generically.
    """
    lang = _lang(lang)
    if code in REVIEW_REASONS:
        amo = values.get("amo_centimes")
        shown = {
            "note": str(values.get("note") or ""),
            "amo": f"{format_mad(amo)} {_MAD[lang]}" if isinstance(amo, int) else "",
        }
        return REVIEW_REASONS[code][1][lang].format_map(shown)
    if code.startswith(ELIGIBILITY_PREFIX):
        detail = code.removeprefix(ELIGIBILITY_PREFIX).replace("_", " ").strip() or "?"
        return _ELIGIBILITY_TEXT[lang].format(detail=detail)
    reason = REASONS.get(code)
    if reason is None:
        return _UNKNOWN_TEXT[lang].format(code=code)
    try:
        return reason.text[lang].format_map(_shown(values, lang))
    except (KeyError, IndexError, ValueError, AttributeError):
        return reason.short[lang]


def explain_all(codes: list[str], lang: str = DEFAULT_LANG, **values: object) -> list[str]:
    """The explanations of a decision's reason codes, in their order."""
    return [explain(code, lang, **values) for code in codes]
