"""Scenarios and capabilities: posting, editing, public lists and search, reference data."""
