"""Officials verify organisations; admins disable and re-enable accounts."""
