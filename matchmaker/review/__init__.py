"""Officials' review: submitted entries (publish or send back) and the pairing queue."""
