"""tradectl, the operator's command line (cli.py), and what it runs: the audit and the bench."""

from services.tradectl.cli import main

__all__ = ["main"]
