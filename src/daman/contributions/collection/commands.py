"""`daman contributions ...`: declarations, the months' runs, bank files in and out,
arrears, balances and statements, from the command line (one transaction per command).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from daman.core.actor import cli_actor
from daman.core.money import format_mad

app = typer.Typer(no_args_is_help=True)
out = Console()

MONTH = typer.Option(..., "--month", help="the month, YYYY-MM")


def _month(text: str) -> date:
    from daman.contributions.collection.schemas import month_of

    try:
        return month_of(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--month") from exc


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


@app.command("declare")
def declare(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="the declaration CSV"),
    month: str = MONTH,
    employer: str | None = typer.Option(None, help="the employer's CNSS number"),
    administration: str | None = typer.Option(
        None, help="a paying administration's account (A<code>), CNOPS"
    ),
    regime: str | None = typer.Option(None, help="CNSS_SAL (default) or CNOPS"),
    issued_on: str | None = typer.Option(
        None, "--issued-on", help="the calls' issue date, YYYY-MM-DD (loading history)"
    ),
    errors: Path | None = typer.Option(None, help="write every refused row to this CSV"),
) -> None:
    """Load a declaration: an employer's file, an administration's, or the fund's bulk
    file of many employers (an `employer` column, when neither option is given)."""
    from sqlalchemy import select

    from daman.contributions.collection import accounts, declarations
    from daman.core.db import unit_of_work
    from daman.registry.models import Employer

    with unit_of_work() as session:
        payer_employer = None
        if employer:
            payer_employer = session.scalar(select(Employer).where(Employer.number == employer))
            if payer_employer is None:
                raise typer.BadParameter(f"unknown employer {employer}", param_hint="--employer")
        payer = accounts.by_number(session, administration) if administration else None
        report = declarations.declare(
            session,
            path.read_bytes(),
            filename=path.name,
            month=_month(month),
            actor=cli_actor(),
            regime=regime,
            employer=payer_employer,
            payer=payer,
            issued_on=_day(issued_on),
        )
    state = "the same file again: nothing changed" if report.replayed else "loaded"
    out.print(
        f"{report.rows_read} rows read, {report.rows_loaded} {state}, "
        f"{report.rows_rejected} refused; {len(report.calls)} call(s)"
    )
    for call in report.calls[:20]:
        out.print(
            f"  {call.number}: {call.members} members, {format_mad(call.total_centimes)} MAD, "
            f"due {call.due_date}"
        )
    for e in report.errors[:20]:
        out.print(f"  [yellow]line {e.line}[/yellow] {e.field}: {e.reason}")
    if errors is not None:
        with errors.open("w", encoding="utf-8") as f:
            f.write("line,field,kind,reason\n")
            for e in report.errors:
                f.write(f'{e.line},{e.field},{e.kind},"{e.reason.replace(chr(34), chr(39))}"\n')
        out.print(f"refused rows in {errors}")


@app.command("run")
def run(
    regime: str = typer.Option(..., help="TNS, CHAMIL or TADAMON"),
    month: str = MONTH,
    issued_on: str | None = typer.Option(None, "--issued-on", help="YYYY-MM-DD (today)"),
) -> None:
    """The month's calls of a regime nobody declares; a member already called is left."""
    from daman.contributions.collection import runs
    from daman.core.db import unit_of_work

    with unit_of_work() as session:
        report = runs.run(session, regime.upper(), _month(month), cli_actor(), _day(issued_on))
    out.print(
        f"{report.regime} {report.month:%Y-%m}: {report.calls} calls, {report.members} members, "
        f"{format_mad(report.total_centimes)} MAD; {report.already_called} already called, "
        f"{report.unpriced} not priced"
    )
    for problem in report.problems[:20]:
        out.print(f"  [yellow]{problem}[/yellow]")


@app.command("receipts")
def import_receipts(
    path: Path = typer.Argument(..., exists=True, dir_okay=False),
    partner: str | None = typer.Option(None, help="the partner of a CSV file"),
) -> None:
    """Import the bank's camt.054/camt.053, or a collection partner's CSV."""
    from daman.contributions.collection import receipts
    from daman.core.db import unit_of_work

    data = path.read_bytes()
    with unit_of_work() as session:
        if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            report = receipts.import_bank_file(session, data, path.name, cli_actor())
        else:
            if not partner:
                raise typer.BadParameter("a CSV file comes from a partner", param_hint="--partner")
            report = receipts.import_partner_file(session, data, path.name, partner, cli_actor())
    state = " (the same file again: nothing changed)" if report.replayed else ""
    out.print(
        f"{report.transactions} transactions{state}: {report.matched} matched, "
        f"{report.unidentified} in suspense, {report.duplicates} already received, "
        f"{report.returned} direct debits returned; {format_mad(report.total_centimes)} MAD"
    )


@app.command("collect")
def collect(
    on: str = typer.Option(..., "--date", help="the collection date, YYYY-MM-DD"),
    out_file: Path | None = typer.Option(None, "--out", help="write the pain.008 file here"),
) -> None:
    """A direct-debit run: one debit per mandated account owing on calls due by the date."""
    from daman.contributions.collection import directdebit
    from daman.core.db import unit_of_work

    with unit_of_work() as session:
        summary = directdebit.collect(session, date.fromisoformat(on), cli_actor())
        document = (
            directdebit.pain008(session, directdebit.run_by_number(session, summary.number))
            if summary
            else None
        )
    if summary is None or document is None:
        out.print("nobody mandated owes anything: no run")
        return
    out.print(
        f"run {summary.number}: {summary.items} debits, "
        f"{format_mad(summary.total_centimes)} MAD on {summary.collection_date}"
    )
    if out_file is not None:
        out_file.write_bytes(document)
        out.print(f"pain.008 written to {out_file}")


@app.command("returns")
def returns(path: Path = typer.Argument(..., exists=True, dir_okay=False)) -> None:
    """The bank's returns of direct debits (camt.054, or a CSV list)."""
    from daman.contributions.collection import directdebit
    from daman.core.db import unit_of_work

    with unit_of_work() as session:
        report = directdebit.import_returns(session, path.read_bytes(), path.name, cli_actor())
    out.print(
        f"{report.returned} returned, {report.already} already known, "
        f"{len(report.unknown)} unknown" + (" (the same file again)" if report.replayed else "")
    )


@app.command("arrears")
def arrears(on: str | None = typer.Option(None, "--on", help="YYYY-MM-DD (today)")) -> None:
    """Late-payment penalties earned by the day, and reminders through the outbox."""
    from daman.contributions.collection import arrears as service
    from daman.core.dates import today
    from daman.core.db import unit_of_work

    with unit_of_work() as session:
        report = service.run_arrears(session, _day(on) or today(), cli_actor())
    out.print(
        f"{report.calls_late} calls late; {report.penalties_posted} penalty entries "
        f"({format_mad(report.penalties_centimes)} MAD); {report.reminders} reminders queued"
    )


@app.command("balance")
def balance(
    account: str = typer.Argument(..., help="the payer account number"),
    on: str | None = typer.Option(None, "--on", help="YYYY-MM-DD (today)"),
) -> None:
    """An account's balance and the calls it still owes."""
    from daman.contributions.collection import accounts, service
    from daman.contributions.ledger import repository as ledger
    from daman.core.db import unit_of_work

    with unit_of_work() as session:
        found = accounts.by_number(session, account)
        position = service.account_out(session, found, _day(on))
        calls = ledger.open_calls(session, [found.id]).get(found.id, [])
        shown = service.calls_out(session, calls, found)
    out.print(
        f"{position.number} {position.name}: balance {format_mad(position.balance_centimes)} "
        f"MAD on {position.on} (owed {format_mad(position.owed_centimes)}, credit "
        f"{format_mad(position.credit_centimes)})"
    )
    table = Table("call", "due", "total", "owed", "penalty", "status")
    for c in shown:
        table.add_row(
            c.number,
            str(c.due_date),
            format_mad(c.total_centimes),
            format_mad(c.owed_centimes),
            format_mad(c.penalty_centimes),
            c.status.value,
        )
    out.print(table)


@app.command("statement")
def statement(
    account: str = typer.Argument(..., help="the payer account number"),
    start: str = typer.Option(..., "--from", help="YYYY-MM-DD"),
    end: str = typer.Option(..., "--to", help="YYYY-MM-DD"),
    out_file: Path = typer.Option(..., "--out", help="the PDF to write"),
) -> None:
    """An account's statement (PDF, French and Arabic)."""
    from daman.contributions.collection import accounts
    from daman.contributions.collection import statement as pdf
    from daman.core.db import unit_of_work

    with unit_of_work() as session:
        found = accounts.by_number(session, account)
        data = pdf.statement(session, found, date.fromisoformat(start), date.fromisoformat(end))
    out_file.write_bytes(pdf.render(data))
    out.print(f"statement of {account} written to {out_file}")
