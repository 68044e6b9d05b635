"""Contributions: what each payer owes, what it paid, and what that does to rights.

Two layers, so that the registry's rights can read "paid" without the registry depending
on the whole domain:

* ``daman.contributions.ledger`` sits below the registry: the payers' accounts, the calls
  and their lines (who a call is about, month by month), the ledger's entries, receipts
  and allocations; the pure rules that compute amounts; and the reads the rights need
  (which months of a person are paid, and since when).
* ``daman.contributions.collection`` sits above the registry and payments: declarations,
  the monthly runs of calls, bank files in and out (camt.053/054, pain.008), arrears,
  statements, the API and the command line.
"""
