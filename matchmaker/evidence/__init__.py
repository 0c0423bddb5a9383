"""Evidence for firms' claims: files checked and stored, officials' decisions, expiry."""
