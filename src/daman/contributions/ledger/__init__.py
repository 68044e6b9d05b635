"""The contributions ledger (below the registry): accounts, calls, entries, the pure rules
of amounts, and the reads the rights need. See daman.contributions."""
