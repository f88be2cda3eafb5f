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


def _over_limit(account_key: str, address_key: str, limit: int) -> bool:
    return (
        ratelimit.count(account_key) >= limit
        or ratelimit.count(address_key) >= limit * ADDRESS_FACTOR
    )


def _hit(account_key: str, address_key: str, window: int) -> None:
    ratelimit.hit(account_key, window_seconds=window)
    ratelimit.hit(address_key, window_seconds=window)


def is_locked(request: HttpRequest, email: str) -> bool:
    return _over_limit(_account_key(email), _address_key(request), settings.LOGIN_LOCKOUT_FAILURES)


def record_failure(request: HttpRequest, email: str) -> None:
    _hit(_account_key(email), _address_key(request), settings.LOGIN_LOCKOUT_SECONDS)


def record_success(email: str) -> None:
    ratelimit.reset(_account_key(email))


# Password reset requests send mail to whatever address is typed: limited per account
# (the address typed, known or not, so the answer tells nothing) and per client address,
# in the same cache counters (PASSWORD_RESET_LIMIT, PASSWORD_RESET_SECONDS).
def reset_allowed(request: HttpRequest, email: str) -> bool:
    """Count one password reset request; False once the account or the address has
    asked too often within the window (the request is then not sent)."""
    account_key = f"reset:account:{email.strip().lower()}"
    address_key = f"reset:addr:{client_ip(request)}"
    if _over_limit(account_key, address_key, settings.PASSWORD_RESET_LIMIT):
        return False
    _hit(account_key, address_key, settings.PASSWORD_RESET_SECONDS)
    return True
