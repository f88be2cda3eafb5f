from __future__ import annotations

from django.conf import settings


class SecurityHeadersMiddleware:
    """Every response carries the Content-Security-Policy from settings; a response to a
    signed-in user, or from a page that can hold a client's data, is never stored by a
    browser or a proxy (a shared front-desk computer must not keep a client's file in its
    cache after sign-out).

    Placed first among the middlewares, so responses that the others short-circuit
    (redirects, the unknown-host 404, errors) get the headers too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if request.path.startswith("/admin/"):
            policy = settings.CONTENT_SECURITY_POLICY_ADMIN
        if policy and "Content-Security-Policy" not in response.headers:
            response.headers["Content-Security-Policy"] = policy
        if _personal(request):
            response.headers["Cache-Control"] = "no-store"
        return response


def _personal(request) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    # Signed out, these answer with a redirect or a 404; still, nothing under them is
    # ever worth keeping in a cache.
    return request.path.startswith(tuple(settings.NO_STORE_PATH_PREFIXES))
