from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from accounts.services import session_record


@receiver(user_logged_in)
def _record_session(sender, request, user, **kwargs):
    session_record(user=user, request=request)
