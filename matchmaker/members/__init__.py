"""Members of an organisation: requests to join it, decided by its admin or an official."""
