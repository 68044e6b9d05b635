"""The fixed persons and providers of the demo, with the numbers the README tour uses.

Their order matters: on a fresh database the persons get the first immatriculation
numbers in this order, and their claims (the `claim` kinds of synth.claims) the first
claim numbers. Ages are years plus days, so that no birthday falls on the demo day.
"""

from __future__ import annotations

from dataclasses import dataclass

from daman.core.enums import ProviderKind, RegimeCode, Relationship, Sector, Sex

MARKER_CNIE = "BK100001"  # the first fixed person: present means the demo is loaded


@dataclass(frozen=True)
class FixedPerson:
    """A demo person. Ages in years (plus days, so birthdays never fall on the demo day);
    `principal` names the key of the person this one depends on."""

    key: str
    role: str
    first: tuple[str, str]
    last: tuple[str, str]
    sex: Sex
    age: tuple[int, int]
    cnie: str | None
    regime: RegimeCode | None = None
    principal: str | None = None
    relationship: Relationship | None = None
    try_: str = ""
    claim: str | None = None  # kind of the featured claim (see synth.claims.KINDS)
    late_claim: bool = False


FIXED: tuple[FixedPerson, ...] = (
    FixedPerson(
        "employee",
        "CNSS employee, rights open",
        ("Youssef", "يوسف"),
        ("Benali", "بنعلي"),
        Sex.MALE,
        (52, 40),
        MARKER_CNIE,
        RegimeCode.CNSS_SAL,
        try_="covered: 26 days declared every month; a consultation and medicines",
        claim="consultation",
    ),
    FixedPerson(
        "spouse",
        "his spouse",
        ("Khadija", "خديجة"),
        ("Tazi", "التازي"),
        Sex.FEMALE,
        (47, 200),
        "BK100002",
        principal="employee",
        relationship=Relationship.SPOUSE,
        try_="covered as dependent; her claim came in 70 days late: rejected",
        claim="consultation",
        late_claim=True,
    ),
    FixedPerson(
        "child8",
        "their child, 8",
        ("Adam", "آدم"),
        ("Benali", "بنعلي"),
        Sex.MALE,
        (8, 75),
        None,
        principal="employee",
        relationship=Relationship.CHILD,
        try_="covered as dependent (under 21)",
        claim="consultation",
    ),
    FixedPerson(
        "student",
        "their child, 22, student",
        ("Amine", "أمين"),
        ("Benali", "بنعلي"),
        Sex.MALE,
        (22, 120),
        "BK100004",
        principal="employee",
        relationship=Relationship.CHILD,
        try_="covered: proof of studies for this school year",
    ),
    FixedPerson(
        "twin",
        "his twin, 22, not a student",
        ("Rania", "رانية"),
        ("Benali", "بنعلي"),
        Sex.FEMALE,
        (22, 120),
        "BK100005",
        principal="employee",
        relationship=Relationship.CHILD,
        try_="not covered: over 21 with no proof of studies; claim rejected",
        claim="consultation",
    ),
    FixedPerson(
        "civil_servant",
        "CNOPS civil servant (MGPAP)",
        ("Rachid", "رشيد"),
        ("Alaoui", "العلوي"),
        Sex.MALE,
        (45, 10),
        "A100006",
        RegimeCode.CNOPS,
        try_="covered; the mutual adds its complementary share",
        claim="consultation",
    ),
    FixedPerson(
        "tadamon",
        "AMO Tadamon household head",
        ("Mustapha", "مصطفى"),
        ("Ait Ali", "آيت علي"),
        Sex.MALE,
        (50, 300),
        "J100007",
        RegimeCode.TADAMON,
        try_="covered: RSU score 8.1500000, at or below the threshold; public hospital stay",
        claim="public_stay",
    ),
    FixedPerson(
        "tadamon_spouse",
        "his spouse",
        ("Zahra", "زهرة"),
        ("Ouali", "الوالي"),
        Sex.FEMALE,
        (44, 30),
        "J100008",
        principal="tadamon",
        relationship=Relationship.SPOUSE,
        try_="covered as dependent",
    ),
    FixedPerson(
        "tadamon_child",
        "their child, 12",
        ("Hamza", "حمزة"),
        ("Ait Ali", "آيت علي"),
        Sex.MALE,
        (12, 160),
        None,
        principal="tadamon",
        relationship=Relationship.CHILD,
        try_="covered as dependent",
    ),
    FixedPerson(
        "job_lost_4",
        "lost his job 4 months ago",
        ("Said", "سعيد"),
        ("Bakkali", "البقالي"),
        Sex.MALE,
        (38, 90),
        "K100010",
        RegimeCode.CNSS_SAL,
        try_="covered: rights maintained 6 months after the job loss",
        claim="consultation",
    ),
    FixedPerson(
        "job_lost_8",
        "lost his job 8 months ago",
        ("Hicham", "هشام"),
        ("Filali", "الفيلالي"),
        Sex.MALE,
        (41, 250),
        "C100011",
        RegimeCode.CNSS_SAL,
        try_="not covered: maintained rights ran out; claim rejected",
        claim="consultation",
    ),
    FixedPerson(
        "ald",
        "CNOPS teacher (MGEN), diabetic",
        ("Latifa", "لطيفة"),
        ("Cherkaoui", "الشرقاوي"),
        Sex.FEMALE,
        (58, 45),
        "E100012",
        RegimeCode.CNOPS,
        try_="ALD09 diabetes exemption: her medicines at the ALD rate",
        claim="chronic",
    ),
    FixedPerson(
        "tns",
        "self-employed (TNS)",
        ("Karim", "كريم"),
        ("Lahlou", "لحلو"),
        Sex.MALE,
        (44, 15),
        "BE100013",
        RegimeCode.TNS,
        try_="covered: contributions paid every month",
    ),
    FixedPerson(
        "chamil",
        "AMO Chamil member",
        ("Souad", "سعاد"),
        ("Kettani", "الكتاني"),
        Sex.FEMALE,
        (55, 222),
        "A100014",
        RegimeCode.CHAMIL,
        try_="covered after the waiting months; private clinic stay",
        claim="private_stay",
    ),
)


@dataclass(frozen=True)
class FixedProvider:
    key: str
    role: str
    inpe: str
    kind: ProviderKind
    name: str
    sector: Sector
    specialty: str | None
    city: str
    group: str  # how claims find it (synth.claims groups)


FIXED_PROVIDERS: tuple[FixedProvider, ...] = (
    FixedProvider(
        "gp",
        "general practitioner",
        "910000001",
        ProviderKind.DOCTOR,
        "Dr Nadia Berrada",
        Sector.PRIVATE,
        "médecine générale",
        "Casablanca",
        "gp",
    ),
    FixedProvider(
        "endocrinologist",
        "endocrinologist",
        "910000002",
        ProviderKind.DOCTOR,
        "Dr Omar Sqalli",
        Sector.PRIVATE,
        "endocrinologie",
        "Casablanca",
        "specialist",
    ),
    FixedProvider(
        "pharmacy",
        "pharmacy",
        "930000001",
        ProviderKind.PHARMACY,
        "Pharmacie Al Amal",
        Sector.PRIVATE,
        None,
        "Casablanca",
        "pharmacy",
    ),
    FixedProvider(
        "hospital",
        "public hospital",
        "970000001",
        ProviderKind.HOSPITAL,
        "Centre hospitalier régional de Rabat",
        Sector.PUBLIC,
        None,
        "Rabat",
        "hospital_public",
    ),
    FixedProvider(
        "clinic",
        "private clinic",
        "960000001",
        ProviderKind.CLINIC,
        "Clinique Les Palmiers",
        Sector.PRIVATE,
        None,
        "Casablanca",
        "clinic",
    ),
)
