"""HCX-style asynchronous exchange: see service.py."""
