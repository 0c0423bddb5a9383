"""Configuration read from the environment, with safe defaults for a local run."""

import os
import secrets
from pathlib import Path
from typing import Any


def _secret_key(instance_path: Path) -> str:
    """Read SECRET_KEY from the environment, else from instance/, generating it once."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        # Several workers may start at once on a fresh instance: each writes a whole key to a
        # file of its own, and the first to link it into place wins; the others read that one.
        # No one ever reads a half-written key, and all sign sessions with the same key.
        instance_path.mkdir(parents=True, exist_ok=True)
        draft = instance_path / f"secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(draft, key_file)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return key_file.read_text().strip()


def from_environment(instance_path: Path) -> dict[str, Any]:
    """Build the settings mapping for create_app."""
    production = os.environ.get("MATCHMAKER_ENV", "development") == "production"
    default_db = f"sqlite:///{instance_path / 'matchmaker.db'}"
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "DATABASE_URL": os.environ.get("DATABASE_URL", default_db),
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "MATCHER_PATH": os.environ.get("MATCHER_PATH", str(instance_path / "matcher.pkl")),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "5")) * 1024 * 1024,
        # Evidence files (certificates, contracts): outside static/, served only through views.
        "EVIDENCE_DIR": os.environ.get("EVIDENCE_DIR", str(instance_path / "evidence")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": 14 * 24 * 3600,
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute"),
        # Changing the password checks the current one, so it is limited like sign-in; new API
        # tokens are long-lived secrets, so a few an hour per account and per address.
        "PASSWORD_RATE_LIMIT": os.environ.get("PASSWORD_RATE_LIMIT", "10 per minute"),
        "TOKEN_RATE_LIMIT": os.environ.get("TOKEN_RATE_LIMIT", "10 per hour"),
        # "" switches the API's per-address limit off (e.g. for a trusted integration host).
        "API_RATE_LIMIT": os.environ.get("API_RATE_LIMIT", "300 per minute"),
        # Counts live in Redis when REDIS_URL is set (shared by every worker, see create_app);
        # if Redis goes away, each worker counts in memory instead of failing the request.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # Behind a reverse proxy, how many hops of X-Forwarded-For/-Proto to trust; without
        # it every client would share the proxy's address and so one login rate limit.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        "SMTP_HOST": os.environ.get("SMTP_HOST", ""),
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", "25")),
        "SMTP_SENDER": os.environ.get("SMTP_SENDER", "noreply@matchmaker.local"),
        "PAGE_SIZE": 20,
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": ("zh", "en"),
    }
