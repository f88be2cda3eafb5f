from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import connection


class TenantPasswordResetTokenGenerator(PasswordResetTokenGenerator):
    """Reset links name the schema in their hash: user 1 of one business and user 1 of
    another share a primary key, and a link must only ever work where it was issued."""

    key_salt = "accounts.tokens.TenantPasswordResetTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{connection.schema_name}:{super()._make_hash_value(user, timestamp)}"


password_reset_token = TenantPasswordResetTokenGenerator()
