"""Browsing and exporting the audit trail (officials and admins)."""
