"""What every area writes beside its change: the audit trail, notifications and their wording,
optimistic versions."""
