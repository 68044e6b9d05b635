"""Reading what provider software sends: JSON into fhir.resources' R4B models, then
Daman's checks of the codes the library does not enforce. Every problem is an issue
naming the element path (``Claim.item[1].net.value``)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from daman.core.money import MAX_CENTIMES
from daman.fhir import codes
from daman.fhir.outcome import FhirError, Issue

MAX_BODY_DEPTH = 40


def path_of(root: str, loc: Iterable[object]) -> str:
    """('item', 0, 'net', 'value') under Claim -> Claim.item[0].net.value"""
    out = root
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}"
    return out


def loads(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FhirError.one("structure", f"the body is not JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
        raise FhirError.one("structure", "a FHIR resource has a resourceType", "resourceType")
    return data


def model(data: Mapping[str, Any], where: str | None = None) -> Any:
    """A resource as its R4B model, or the structural problems with their paths."""
    kind = str(data.get("resourceType"))
    root = where or kind
    try:
        cls = get_fhir_model_class(kind)
    except ValueError as exc:
        raise FhirError.one(
            "not-supported", f"unknown resourceType {kind}", f"{root}.resourceType"
        ) from exc
    try:
        return cls.model_validate(dict(data))
    except ValidationError as exc:
        issues = [
            Issue(
                "required" if "missing" in e["type"] else "structure",
                str(e["msg"]).removeprefix("Value error, "),
                path_of(root, e["loc"]),
            )
            for e in exc.errors()
        ]
        raise FhirError(issues) from exc


@dataclass
class Checks:
    """Problems found while reading a resource, raised together."""

    issues: list[Issue] = field(default_factory=list)

    def add(self, code: str, diagnostics: str, expression: str) -> None:
        self.issues.append(Issue(code, diagnostics, expression))

    def code_in(self, value: str | None, allowed: frozenset[str], where: str) -> str | None:
        """A required code from its value set (None and an issue otherwise)."""
        if value is None:
            self.add("required", "required", where)
            return None
        if value not in allowed:
            self.add(
                "code-invalid",
                f"{value!r} is not in the value set ({', '.join(sorted(allowed))})",
                where,
            )
            return None
        return value

    def raise_any(self) -> None:
        if self.issues:
            raise FhirError(self.issues)


def coding_code(concept: Any, system: str) -> str | None:
    """The code of the first coding of ``system`` in a CodeableConcept, if any."""
    for coding in (concept.coding or []) if concept is not None else []:
        if coding.system == system and coding.code:
            return str(coding.code)
    return None


def money_centimes(money: Any, where: str, checks: Checks) -> int | None:
    """FHIR Money in MAD (at most two decimals) as integer centimes."""
    if money is None or money.value is None:
        checks.add("required", "an amount in MAD is required", where)
        return None
    if money.currency != codes.CURRENCY:
        checks.add(
            "code-invalid", f"currency must be MAD, not {money.currency}", f"{where}.currency"
        )
        return None
    value = Decimal(money.value) * 100
    if value != value.to_integral_value() or not value.is_finite():
        checks.add("value", "at most two decimals (centimes)", f"{where}.value")
        return None
    centimes = int(value)
    if abs(centimes) > MAX_CENTIMES:
        checks.add("value", "beyond any amount the fund stores", f"{where}.value")
        return None
    return centimes


def mad(centimes: int) -> dict[str, Any]:
    """Integer centimes as FHIR Money in MAD (a decimal, never a float)."""
    return {"value": Decimal(centimes).scaleb(-2), "currency": codes.CURRENCY}


# The required bindings Daman checks on what it emits, by element name.
_EMITTED = {
    "status": codes.FINANCIAL_STATUS,
    "use": codes.CLAIM_USE,
    "outcome": codes.REMITTANCE_OUTCOME,
}
# Resources whose status is not the financial module's.
_EMITTED_FOR = {
    "Communication": {"status": codes.EVENT_STATUS},
    "Task": {"status": codes.TASK_STATUS},
}
_EMITTED_BY_TYPE = {"OperationOutcome", "CapabilityStatement", "CodeSystem", "Bundle", "Patient"}


def emit(data: dict[str, Any]) -> dict[str, Any]:
    """A resource Daman answers with: validated by its R4B model and by Daman's value sets
    (an invalid code here is a bug, never sent), as JSON-ready data."""
    built = model(data)
    problems = list(_bad_codes(data))
    if problems:
        raise AssertionError(f"Daman built an invalid {data['resourceType']}: {problems}")
    out: dict[str, Any] = built.model_dump(mode="json", exclude_none=True)
    return out


def _bad_codes(data: Any, kind: str | None = None) -> Iterable[str]:
    if isinstance(data, list):
        for item in data:
            yield from _bad_codes(item, kind)
        return
    if not isinstance(data, dict):
        return
    kind = data.get("resourceType", kind)
    if "resourceType" in data and kind not in _EMITTED_BY_TYPE:
        for name, allowed in _EMITTED_FOR.get(str(kind), _EMITTED).items():
            value = data.get(name)
            if isinstance(value, str) and value not in allowed:
                yield f"{kind}.{name} = {value!r}"
    if data.get("system") == codes.ADJUDICATION and data.get("code") not in codes.HL7_ADJUDICATION:
        yield f"adjudication category {data.get('code')!r}"
    for key, value in data.items():
        if key != "resourceType":
            yield from _bad_codes(value, kind)


def reference_id(reference: Any, kind: str) -> str | None:
    """``Patient/DM0000000194`` -> ``DM0000000194`` (a literal reference of the kind)."""
    text = getattr(reference, "reference", None)
    if not text:
        return None
    text = str(text)
    if "/" in text:
        head, _, tail = text.rpartition("/")
        if head.rsplit("/", 1)[-1] == kind and tail:
            return tail
    return None


def identifier_value(identifiers: Any, system: str) -> str | None:
    """The value of the identifier of ``system`` in one identifier or a list of them."""
    items = identifiers if isinstance(identifiers, list) else [identifiers]
    for ident in items:
        if ident is not None and ident.system == system and ident.value:
            return str(ident.value).strip()
    return None
