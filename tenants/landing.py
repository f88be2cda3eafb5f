"""What the landing page says the product does: only what a new business finds in its
portal today. Add a line here when a feature lands (calendar, till, reminders are not
here yet), and the page grows with it."""

from django.utils.translation import gettext_lazy as _

FEATURES = (
    _(
        "Your own portal at your-name.clinicdesk, with your data kept apart from every "
        "other business"
    ),
    _(
        "Client files with search by name, pinyin initials or phone, tags, flags and your "
        "own fields"
    ),
    _("Visit history, contact log and follow-up tasks"),
    _("Import from your Excel sheet, export what you see to .xlsx or .csv"),
    _("Staff accounts with roles: front desk never sees medical history"),
    _("Two-factor login, and a record of who did what"),
    _("Consents, a client's own export, and erasure on request"),
    _("English and Simplified Chinese, chosen by each person"),
)

# Per business type: what its files hold today.
BUSINESS_TYPES = {
    "beauty_salon": _(
        "Skin type and habits as your own fields, tags, birthdays and visit history."
    ),
    "medical_aesthetic": _(
        "Medical history and allergies shown only to clinical staff, treatment records and "
        "follow-ups."
    ),
    "dental": _("Patient files with medical history, visit records and recall follow-ups."),
    "optical": _("Client files, visit records and recheck follow-ups."),
}
