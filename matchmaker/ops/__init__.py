"""Operations: the health endpoint."""
