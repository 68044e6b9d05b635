"""Pre-authorisations (prise en charge): requests, decisions within the legal answer time,
and the facility invoices matched to them (tiers payant)."""
