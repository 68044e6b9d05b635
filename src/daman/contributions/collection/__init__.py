"""Collecting contributions (above the registry and payments): declarations, runs of
calls, receipts, direct debits, arrears, statements, API and commands."""
