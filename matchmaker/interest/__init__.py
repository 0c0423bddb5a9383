"""Interest (揭榜): a verified firm raises its hand for a published scenario; the owner decides."""
