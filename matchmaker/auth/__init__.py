"""Sign-up of an organisation and its first user, sign-in, sign-out, password change."""
