"""`daman synth`: synthetic population and claims."""

import typer


def register(app: typer.Typer) -> None:
    """Add the synth commands to the top-level CLI."""
