"""Deterministic synthetic data: a population, its providers, days of claims, and the demo.

- population.py, providers.py: pure plans of rows (same seed, date and first ids: same rows)
- bulk.py: stores planned rows (binary COPY on PostgreSQL, executemany on SQLite)
- service.py: `generate`, a population written to the database
- claim_context.py, claims.py: `generate_claims`, days of care sheets stored `received`
- demo.py, demo_data.py: `load_demo` / `print_demo`, behind `daman demo`
- commands.py: `daman synth`
"""
