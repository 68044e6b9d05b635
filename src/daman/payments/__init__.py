"""Payments: payment batches, bank files, reconciliation and statements."""
