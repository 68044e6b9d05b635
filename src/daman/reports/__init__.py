"""Aggregate figures for the fund: no name and no identifier ever leaves this package."""
