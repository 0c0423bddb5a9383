"""Numbered batches (2023年第一批): assembled by officials and published together."""
