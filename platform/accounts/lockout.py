"""Lock an account out after repeated failed logins, and limit password reset requests.

Counters are kept per account (the email typed) and per client address, in the cache,
whose keys carry the tenant's schema, so a lockout on one business never affects another.
The account counter ignores the address entirely: sending a different, forged
X-Forwarded-For with each guess cannot reset it. A successful login clears the account's
counter only.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from core import ratelimit
from core.http import client_ip

ADDRESS_FACTOR = 4  # an address may fail this many times more, across accounts


def _account_key(email: str) -> str:
    return f"login-fail:account:{email.strip().lower()}"


def _address_key(request: HttpRequest) -> str:
    return f"login-fail:addr:{client_ip(request)}"


def is_locked(request: HttpRequest, email: str) -> bool:
    limit = settings.LOGIN_LOCKOUT_FAILURES
    return (
        ratelimit.count(_account_key(email)) >= limit
        or ratelimit.count(_address_key(request)) >= limit * ADDRESS_FACTOR
    )


def record_failure(request: HttpRequest, email: str) -> None:
    window = settings.LOGIN_LOCKOUT_SECONDS
    ratelimit.hit(_account_key(email), window_seconds=window)
    ratelimit.hit(_address_key(request), window_seconds=window)


def record_success(email: str) -> None:
    ratelimit.reset(_account_key(email))


# Password reset requests send mail to whatever address is typed: limited per account
# (the address typed, known or not, so the answer tells nothing) and per client address,
# in the same cache counters (PASSWORD_RESET_LIMIT, PASSWORD_RESET_SECONDS).
def _reset_limits() -> tuple[int, int]:
    return settings.PASSWORD_RESET_LIMIT, settings.PASSWORD_RESET_SECONDS


def reset_allowed(request: HttpRequest, email: str) -> bool:
    """Count one password reset request; False once the account or the address has
    asked too often within the window (the request is then not sent)."""
    per_account, window = _reset_limits()
    account_key = f"reset:account:{email.strip().lower()}"
    address_key = f"reset:addr:{client_ip(request)}"
    if (
        ratelimit.count(account_key) >= per_account
        or ratelimit.count(address_key) >= per_account * ADDRESS_FACTOR
    ):
        return False
    ratelimit.hit(account_key, window_seconds=window)
    ratelimit.hit(address_key, window_seconds=window)
    return True
