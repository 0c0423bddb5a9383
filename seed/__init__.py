"""Seed lists for matchmaker: generator, domain knowledge, checks."""
