"""`daman adjudicate`: value every received claim in batch."""

import typer


def register(app: typer.Typer) -> None:
    """Add the adjudication commands to the top-level CLI."""
