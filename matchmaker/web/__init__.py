"""Request plumbing every area shares: the database session, access marks, errors, htmx,
language, labels, security headers and dates."""
