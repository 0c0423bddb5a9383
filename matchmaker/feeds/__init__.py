"""Atom feeds of the public lists, batches, published pairings and public saved searches."""
