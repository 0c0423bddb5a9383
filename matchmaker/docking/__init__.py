"""Docking follow-up (供需对接跟踪): from a published pairing to a signed contract."""
