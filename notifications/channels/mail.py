"""Email through Django's mail backends (SMTP in production): From carries the business's
name, Reply-To the business's own address (NotificationSettings.reply_email), and a
receipt asked for in ``meta["attachments"]`` is rendered as a PDF at send time."""

from __future__ import annotations

import hashlib
import smtplib
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection
from django.utils.translation import gettext as _

from notifications.channels import Backend, PermanentError, SendResult, TransientError


def from_address() -> str:
    """ "<business name> <address of DEFAULT_FROM_EMAIL>"."""
    default_name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    tenant = getattr(connection, "tenant", None)
    name = (getattr(tenant, "name", "") or default_name).strip()
    return formataddr((name, address)) if name else address


def message_id(idempotency_key: str) -> str:
    """One Message-ID per outbox row: a repeat of the same row carries the same id, so
    mail clients that de-duplicate by it show it once."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    domain = address.rpartition("@")[2] or "localhost"
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def _attachments(message) -> list[tuple[str, bytes, str]]:
    from finance import receipts
    from finance.models import Bill

    files = []
    for item in (message.meta or {}).get("attachments", []):
        if not isinstance(item, dict) or item.get("kind") != "receipt":
            raise PermanentError(_("The message asks for an attachment this product cannot make."))
        try:
            bill = receipts.bill_for_receipt(int(item["bill"]))
        except (KeyError, TypeError, ValueError, Bill.DoesNotExist):
            raise PermanentError(_("The bill of this receipt no longer exists.")) from None
        pdf = receipts.receipt_pdf(bill, language=message.language or None)
        files.append((f"receipt-{bill.number}.pdf", pdf, "application/pdf"))
    return files


class EmailBackend(Backend):
    name = "email"
    # SMTP has no idempotency key: a second send is a second email.
    supports_idempotency = False

    def send(self, message, *, idempotency_key: str) -> SendResult:
        from notifications.models import NotificationSettings

        reply_to = NotificationSettings.load().reply_email
        mid = message_id(idempotency_key)
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=from_address(),
            to=[message.recipient],
            reply_to=[reply_to] if reply_to else None,
            headers={"Message-ID": mid},
            connection=get_connection(),
        )
        for filename, content, mimetype in _attachments(message):
            email.attach(filename, content, mimetype)
        try:
            sent = email.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentError(
                _("The mail server refused the address: %(reason)s")
                % {"reason": _smtp_reason(exc.recipients)}
            ) from None
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode("utf-8", "replace") if exc.smtp_error else ""
            if 400 <= exc.smtp_code < 500:
                raise TransientError(
                    _("The mail server asked to try later (%(code)s %(reason)s).")
                    % {"code": exc.smtp_code, "reason": text}
                ) from None
            raise PermanentError(
                _("The mail server refused the message (%(code)s %(reason)s).")
                % {"code": exc.smtp_code, "reason": text}
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientError(
                _("The mail server could not be reached (%(reason)s); trying again later.")
                % {"reason": exc}
            ) from None
        if not sent:
            raise TransientError(_("The mail server took nothing; trying again later."))
        return SendResult(provider=self.name, provider_id=mid.strip("<>"), status="sent")


def _smtp_reason(recipients: dict) -> str:
    parts = []
    for address, (code, text) in (recipients or {}).items():
        reason = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        parts.append(f"{address}: {code} {reason}")
    return "; ".join(parts)
