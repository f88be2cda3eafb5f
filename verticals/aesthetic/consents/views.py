"""Consent pages, under /aesthetic/consents/ (404 where the aesthetic vertical is off).

Owners and managers (``settings.manage``) keep the forms; practitioners (reading
``clients.health`` and writing ``treatment.record``) have clients sign them on screen.
Front desk has neither: 403. A client or form of another business answers 404 (the
tenant's schema holds only its own). The signed PDF opens through filestore:open."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View

from accounts.roles import Capability
from audit import services as audit
from audit.models import Action
from clients.selectors import client_for_page
from core.forms import add_service_errors
from portal.mixins import CapabilityRequiredMixin
from verticals.aesthetic.consents import services
from verticals.aesthetic.consents.forms import ConsentFormForm, SignForm
from verticals.aesthetic.consents.models import ConsentForm, SignedConsent

VERTICAL = "aesthetic"
LANGUAGES = (("zh-hans", "简体中文"), ("en", "English"))


class _Manage(CapabilityRequiredMixin, View):
    capability = Capability.MANAGE_SETTINGS
    vertical = VERTICAL


class _Sign(CapabilityRequiredMixin, View):
    capability = Capability.RECORD_TREATMENT
    vertical = VERTICAL

    def role_allows(self, user) -> bool:
        return user.can(Capability.RECORD_TREATMENT) and user.can(Capability.VIEW_HEALTH)


class _Read(CapabilityRequiredMixin, View):
    capability = Capability.VIEW_HEALTH
    vertical = VERTICAL


def _tab_url(client_id: int) -> str:
    return reverse("clients:detail_tab", kwargs={"pk": client_id, "tab": "aesthetic_consents"})


class FormListView(_Manage):
    def get(self, request):
        forms = list(ConsentForm.objects.prefetch_related("services", "versions").order_by("name"))
        rows = []
        for form in forms:
            versions = sorted(form.versions.all(), key=lambda v: -v.number)
            current = next((v for v in versions if v.published_at), None)
            draft = versions[0] if versions and versions[0].published_at is None else None
            rows.append({"form": form, "current": current, "draft": draft})
        return render(request, "aesthetic_consents/forms.html", {"rows": rows})


class FormEditView(_Manage):
    """A new form (no ``pk``) or an existing one: its name and services, and its text,
    saved into the draft or as the next version."""

    def _form(self, pk):
        return get_object_or_404(ConsentForm, pk=pk) if pk else None

    def _page(self, request, consent_form, form):
        versions = list(consent_form.versions.all()) if consent_form else []
        return render(
            request,
            "aesthetic_consents/form_edit.html",
            {"consent_form": consent_form, "form": form, "versions": versions},
        )

    def get(self, request, pk: int | None = None):
        consent_form = self._form(pk)
        initial = {"active": True}
        if consent_form is not None:
            latest = consent_form.versions.order_by("-number").first()
            initial = {
                "name": consent_form.name,
                "services": list(consent_form.services.all()),
                "active": consent_form.active,
                "text_en": latest.text_en if latest else "",
                "text_zh": latest.text_zh if latest else "",
            }
        return self._page(
            request, consent_form, ConsentFormForm(initial=initial, consent_form=consent_form)
        )

    def post(self, request, pk: int | None = None):
        consent_form = self._form(pk)
        form = ConsentFormForm(request.POST, consent_form=consent_form)
        if form.is_valid():
            data = form.cleaned_data
            try:
                consent_form = services.consent_form_save(
                    actor=request.user,
                    form=consent_form,
                    values={
                        "name": data["name"],
                        "services": data["services"],
                        "active": data["active"],
                    },
                )
                version = services.consent_version_save(
                    form=consent_form,
                    actor=request.user,
                    text_en=data["text_en"],
                    text_zh=data["text_zh"],
                    publish=data["publish"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if version.published_at:
                    messages.success(
                        request,
                        _("Version %(number)s is published.") % {"number": version.number},
                    )
                else:
                    messages.success(
                        request,
                        _("Draft version %(number)s is saved; publish it when it is ready.")
                        % {"number": version.number},
                    )
                return redirect("aesthetic:consents:form_edit", pk=consent_form.pk)
        return self._page(request, consent_form, form)


def _language(request) -> str:
    wanted = request.POST.get("language") or request.GET.get("lang") or get_language() or ""
    return "zh-hans" if wanted.lower().startswith("zh") else "en"


def _appointment_of(request, client):
    from scheduling.models import Appointment

    raw = request.POST.get("appointment") or request.GET.get("appointment")
    if not raw:
        return None
    try:
        return Appointment.objects.select_related("service").get(pk=int(raw), client=client)
    except (ValueError, Appointment.DoesNotExist):
        raise Http404 from None


class SignView(_Sign):
    """The exact current version's text in the chosen language, the signature pad and
    who signs (GET); the signed consent (POST)."""

    def _page(self, request, client, consent_form, version, form, appointment, language):
        return render(
            request,
            "aesthetic_consents/sign.html",
            {
                "client": client,
                "consent_form": consent_form,
                "version": version,
                "text": version.text_for(language),
                "form": form,
                "appointment": appointment,
                "language": language,
                "languages": LANGUAGES,
                "back": _tab_url(client.pk),
            },
        )

    def _load(self, request, client_id: int, form_id: int):
        client = client_for_page(request.user, client_id)
        consent_form = get_object_or_404(ConsentForm, pk=form_id, active=True)
        version = consent_form.current_version()
        if version is None:
            raise Http404
        return client, consent_form, version

    def get(self, request, client_id: int, form_id: int):
        client, consent_form, version = self._load(request, client_id, form_id)
        audit.record_view(action=Action.VIEW_HEALTH, actor=request.user, client_id=client.pk)
        language = _language(request)
        form = SignForm(
            initial={"signer_name": client.name, "version": version.pk, "language": language}
        )
        appointment = _appointment_of(request, client)
        return self._page(request, client, consent_form, version, form, appointment, language)

    def post(self, request, client_id: int, form_id: int):
        client, consent_form, version = self._load(request, client_id, form_id)
        appointment = _appointment_of(request, client)
        language = _language(request)
        form = SignForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["version"] != version.pk:
                    raise ValidationError(
                        _("The form has changed since this page was opened; read it again.")
                    )
                signed = services.consent_sign(
                    client=client,
                    version=version,
                    actor=request.user,
                    signer_name=data["signer_name"],
                    signer_role=data["signer_role"],
                    language=language,
                    signature_png=services.decode_signature(data["signature"]),
                    appointment=appointment,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("“%(form)s” is signed (version %(number)s).")
                    % {"form": consent_form.name, "number": signed.version.number},
                )
                return redirect(_tab_url(client.pk))
        form.data = form.data.copy()
        form.data["signature"] = ""  # the pad starts empty again
        form.data["version"] = str(version.pk)
        return self._page(request, client, consent_form, version, form, appointment, language)


class DocumentView(_Read):
    """The client's latest signed consent as its PDF (the profile's document entry)."""

    def get(self, request, client_id: int):
        client = client_for_page(request.user, client_id)
        signed = SignedConsent.objects.filter(client=client, document__erased_at__isnull=True)
        latest = signed.order_by("-signed_at", "-id").first()
        if latest is None:
            messages.info(request, _("No signed consent yet."))
            return redirect(_tab_url(client.pk))
        return redirect("filestore:open", pk=latest.document_id)
