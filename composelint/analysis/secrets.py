"""Variable names that hold secrets, shared by the compose rule (CL307) and the Dockerfile rule (CL418)."""

from __future__ import annotations

# Words after the secret word that make the key describe a secret rather than hold one.
METADATA = frozenset(("FILE", "PATH", "DIR", "URL", "URI", "HOST", "PORT", "ENDPOINT", "NAME", "TYPE",
                      "HEADER", "ALGORITHM", "ALG", "ISSUER", "AUDIENCE", "PROVIDER", "POLICY", "LENGTH",
                      "LEN", "TTL", "TIMEOUT", "EXPIRY", "EXPIRE", "EXPIRES", "EXPIRATION", "LIFETIME",
                      "SECONDS", "MINUTES", "HOURS", "DAYS", "ROUNDS", "ENABLED", "REQUIRED"))
# Values that switch something on or off rather than hold a secret (`MYSQL_ALLOW_EMPTY_PASSWORD: "yes"`).
FLAGS = frozenset(("true", "false", "yes", "no", "on", "off", "0", "1", "y", "n"))
SECRET_NAMES = ("PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "PRIVATE_KEY")


def secret_word(key: str, names) -> str | None:
    """The secret word a variable name contains, unless a later word makes it metadata (`TOKEN_TTL`)."""
    upper = key.upper()
    for name in names:
        index = upper.rfind(name.upper())
        if index < 0:
            continue
        after = upper[index + len(name):].strip("_").split("_")
        if not any(word in METADATA for word in after):
            return name.upper()
    return None
