"""Daman: open software for running a national mandatory health insurance fund."""

__version__ = "0.1.0"


def _install_audit() -> None:
    # The audit trail listens to every session and bulk write of the process: installed
    # here, where every entry point (app, command line, workers, tests) passes, so that the
    # database layer never imports the audit (see daman.auth.audit.install).
    from daman.auth.audit import install

    install()


_install_audit()
