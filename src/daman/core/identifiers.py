"""Identifier checks (RIB, IBAN, EAN-13, ICE, CNIE) and Daman's own numbers, issued from
counters. Every caller checks an identifier through its one function here; the arithmetic
is python-stdnum's.

The Moroccan RIB, the ICE and the immatriculation carry the French-RIB style mod-97 key:
two digits (01..97) that make the whole number a multiple of 97, read with
``mod_97_10.checksum`` (the number's remainder modulo 97). That is not ISO 7064's own
check (``mod_97_10.validate``/``calc_check_digits``, a remainder of 1, as in an IBAN): the
keys issued so far would all change.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections import deque

from sqlalchemy import Engine, Integer, String, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, Session, mapped_column
from stdnum import ean, iban
from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError
from stdnum.iso7064 import mod_97_10
from stdnum.ma import ice

from daman.core.db import Base

_CNIE = re.compile(r"^[A-Z]{1,2}[0-9]{1,8}$")
_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$")


def mod97_key(body: str) -> str:
    """The 2-digit key (01..97) that makes ``body + key`` a multiple of 97."""
    return f"{97 - mod_97_10.checksum(body + '00'):02d}"


def mod97_holds(digits: str) -> bool:
    """Whether a number ending in its mod-97 key is a multiple of 97."""
    return mod_97_10.checksum(digits) == 0


def rib_problem(rib: str) -> str | None:
    """Why a Moroccan RIB is invalid, or None. 24 digits: bank 3, city 3, account 16, key 2;
    the whole number is 0 modulo 97."""
    if not re.fullmatch(r"[0-9]{24}", rib):
        return "must be exactly 24 digits"
    if not mod97_holds(rib):
        return f"bad RIB key {rib[22:]} (expected {rib_key(rib[:22])})"
    return None


def rib_key(first22: str) -> str:
    return mod97_key(first22)


def iban_problem(number: str) -> str | None:
    """Why an IBAN (compact, upper case) is invalid, or None: its check digits, and its
    country's length and format. Morocco's IBAN (MA, 2 check digits, the 24-digit RIB) is
    not in SWIFT's IBAN registry, which stdnum follows: its RIB is checked instead."""
    if not _IBAN.fullmatch(number):
        return "must be 2 letters, 2 check digits and up to 30 letters or digits"
    try:
        iban.validate(number)  # the check digits first, then the country's format
    except InvalidChecksum:
        return "bad IBAN check digits"
    except InvalidComponent:
        if number[:2] != "MA":
            return f"unknown IBAN country {number[:2]}"
        if problem := rib_problem(number[4:]):
            return f"the RIB in this IBAN: {problem}"
    except ValidationError:
        return f"not the length or format of an IBAN of {number[:2]}"
    return None


def ean13_problem(code: str) -> str | None:
    """Why an EAN-13 barcode is invalid, or None."""
    if not re.fullmatch(r"[0-9]{13}", code):
        return "must be 13 digits"
    check = ean.calc_check_digit(code[:12])
    if code[12] != check:
        return f"bad EAN check digit {code[12]} (expected {check})"
    return None


def ice_problem(number: str) -> str | None:
    """Why a Moroccan ICE (company identifier: company 9 digits, establishment 4, key 2) is
    invalid, or None."""
    if not re.fullmatch(r"[0-9]{15}", number):
        return "must be exactly 15 digits"
    if not ice.is_valid(number):
        return f"bad ICE key {number[13:]} (expected {ice_key(number[:13])})"
    return None


def ice_key(first13: str) -> str:
    return mod97_key(first13)


def normalise_cnie(cnie: str) -> str:
    return cnie.strip().upper().replace(" ", "")


def cnie_problem(cnie: str) -> str | None:
    if not _CNIE.fullmatch(normalise_cnie(cnie)):
        return "must be 1-2 letters followed by digits (e.g. BE123456)"
    return None


class Counter(Base):
    """Monotonic counters for numbers Daman issues (immatriculation, claim numbers)."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


def allocate(session: Session, name: str, count: int = 1) -> range:
    """Reserve `count` consecutive values of a counter inside the caller's transaction (its
    row stays locked until that transaction ends: concurrent allocators wait)."""
    row = session.execute(
        update(Counter)
        .where(Counter.name == name)
        .values(value=Counter.value + count)
        .returning(Counter.value)
    ).scalar_one_or_none()
    if row is None:
        session.add(Counter(name=name, value=count))
        session.flush()
        row = count
    session.info.setdefault(_HELD, {})[name] = session.get_transaction()
    return range(row - count + 1, row + 1)


# Numbers in blocks (hi-lo): a process reserves BLOCK values of a counter at a time in a
# short transaction of its own, then hands them out with no database round trip and no lock
# held by the caller's transaction. Values are unique; a block a process does not use up
# (it stops, or a transaction that took numbers rolls back) leaves gaps, and numbers follow
# the order they were handed out in, not the order their transactions commit in.
BLOCK = 100
LOCK_WAIT_MS = 500  # then the caller's transaction allocates (its own row lock held)
_HELD = "daman.counters.held"  # session.info: counters whose row this transaction locked
_blocks: weakref.WeakKeyDictionary[Engine, dict[str, deque[int]]] = weakref.WeakKeyDictionary()
_blocks_lock = threading.Lock()


def reserve(session: Session, name: str, count: int = 1) -> list[int]:
    """`count` values of a counter, unique but not consecutive, without holding its row lock
    in the caller's transaction (on PostgreSQL; on SQLite, where writers are serialised
    anyway, this is `allocate`)."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    held = session.info.get(_HELD, {}).get(name)
    if engine.dialect.name != "postgresql" or (held and held is session.get_transaction()):
        return list(allocate(session, name, count))
    with _blocks_lock:
        free = _blocks.setdefault(engine, {}).setdefault(name, deque())
        if len(free) < count:
            block = _take_block(engine, name, max(BLOCK, count - len(free)))
            if block is None:  # the row is locked by an open transaction (maybe the caller's)
                return list(allocate(session, name, count))
            free.extend(block)
        return [free.popleft() for _ in range(count)]


def _take_block(engine: Engine, name: str, size: int) -> range | None:
    """Reserve `size` values in a transaction of its own, committed at once; None when the
    counter's row stays locked longer than LOCK_WAIT_MS."""
    try:
        with engine.begin() as conn:
            conn.execute(text(f"SET LOCAL lock_timeout = {LOCK_WAIT_MS}"))
            top = conn.execute(
                update(Counter)
                .where(Counter.name == name)
                .values(value=Counter.value + size)
                .returning(Counter.value)
            ).scalar_one_or_none()
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == "55P03":  # lock_not_available
            return None
        raise
    if top is None:
        return None  # no row yet: the caller's transaction creates it
    return range(top - size + 1, top + 1)


def immatriculation(n: int) -> str:
    """Daman's immatriculation number: 'DM' + 8-digit sequence + 2-digit mod-97 key."""
    body = f"{n:08d}"
    return f"DM{body}{mod97_key(body)}"


def immatriculation_problem(number: str) -> str | None:
    if not re.fullmatch(r"DM[0-9]{10}", number):
        return "must be DM followed by 10 digits"
    if mod_97_10.checksum(number[2:]) != 0:
        return "bad immatriculation key"
    return None


def current_value(session: Session, name: str) -> int:
    return session.execute(select(Counter.value).where(Counter.name == name)).scalar() or 0
