"""Optical pages, mounted at /optical/ (404 where the optical vertical is off).

Reading any record needs ``clients.health`` (they are clinical data); writing needs
``treatment.record``. Front desk has neither: 403. Objects are looked up in the tenant's
schema and through their client, so another business's id answers 404. The views only
shape requests: every rule is in ``services``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from accounts.roles import Capability
from clients.selectors import client_for_page
from core.forms import add_service_errors
from portal.mixins import CapabilityRequiredMixin
from verticals.optical import client_file, services
from verticals.optical.forms import DispensingForm, ExamForm, SettingsForm
from verticals.optical.models import Dispensing, LabStatus, LensType, VisionExam
from verticals.pages import (
    ClinicalRead,
    ClinicalWrite,
    next_url,
    profile_tab_url,
    record_viewed,
    tenant_currency,
)


class _Read(ClinicalRead):
    vertical = "optical"


class _Write(ClinicalWrite):
    vertical = "optical"


def _exams_of(client):
    return VisionExam.objects.filter(client=client).prefetch_related("refractions")


# ---------- exams ----------


class _ExamFormView(_Write):
    template = "optical/exam_form.html"

    def _render(self, request, client, form, *, exam=None, visit=None, status=200):
        # The form shows the exam's (or the latest exam's) clinical values: a look.
        record_viewed(request, client)
        context = {"client": client, "form": form, "exam": exam, "visit": visit}
        context["notation_hint"] = _notation_hint(form.notation)
        return render(request, self.template, context, status=status)

    def _save(self, request, client, *, exam=None, visit=None):
        code = client_file.notation()
        form = ExamForm(request.POST, notation=code)
        if form.is_valid():
            try:
                saved = services.exam_save(
                    client=client,
                    actor=request.user,
                    values=form.cleaned_data,
                    exam=exam,
                    visit=visit,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Vision exam saved."))
                return redirect(next_url(request, reverse("optical:exam", args=[saved.pk])))
        else:
            # the rules' messages too, beside the fields the form itself accepted
            for name, errors in services.exam_errors(form.cleaned_data).items():
                if name in form.fields and name not in form.errors:
                    form.add_error(name, errors)
        return self._render(request, client, form, exam=exam, visit=visit, status=400)


def _notation_hint(code: str) -> str:
    from verticals.optical.acuity import notation_hint

    return notation_hint(code)


def _new_exam_initial(client, on) -> dict:
    initial = {"examined_on": on}
    latest = VisionExam.objects.filter(client=client).order_by("-examined_on", "-id").first()
    if latest and latest.pd_binocular:
        initial["pd_binocular"] = latest.pd_binocular
    return initial


class ExamCreateView(_ExamFormView):
    def get(self, request, client_id: int):
        client = client_for_page(request.user, client_id)
        initial = _new_exam_initial(client, timezone.localdate())
        form = ExamForm(initial=initial, notation=client_file.notation())
        return self._render(request, client, form)

    def post(self, request, client_id: int):
        client = client_for_page(request.user, client_id)
        return self._save(request, client)


class ExamEditView(_ExamFormView):
    def get(self, request, pk: int):
        exam = get_object_or_404(VisionExam.objects.prefetch_related("refractions"), pk=pk)
        client = client_for_page(request.user, exam.client_id)
        form = ExamForm(initial=services.exam_initial(exam), notation=client_file.notation())
        return self._render(request, client, form, exam=exam)

    def post(self, request, pk: int):
        exam = get_object_or_404(VisionExam, pk=pk)
        client = client_for_page(request.user, exam.client_id)
        return self._save(request, client, exam=exam)


class ExamDetailView(_Read):
    def get(self, request, pk: int):
        exam = get_object_or_404(
            VisionExam.objects.select_related("recorded_by").prefetch_related("refractions"),
            pk=pk,
        )
        client = client_for_page(request.user, exam.client_id)
        record_viewed(request, client)
        code = client_file.notation()
        context = {
            "client": client,
            "row": client_file.exam_rows([exam], code)[0],
            "exam": exam,
            "can_write": request.user.can(Capability.RECORD_TREATMENT) and not client.erased_at,
        }
        return render(request, "optical/exam_detail.html", context)


# ---------- dispensing ----------


class DispensingCreateView(_Write):
    template = "optical/dispensing_form.html"

    def _form(self, client, data=None, initial=None):
        exams = list(_exams_of(client).order_by("-examined_on", "-id")[:20])
        return DispensingForm(data, initial=initial, exams=exams, currency=tenant_currency())

    def get(self, request, client_id: int):
        client = client_for_page(request.user, client_id)
        record_viewed(request, client)  # the form lists the client's prescriptions
        form = self._form(client)
        latest = next(iter(form.exams.values()), None)
        form.initial = {
            "dispensed_on": timezone.localdate(),
            "exam": str(latest.pk) if latest else "",
            "lens_type": LensType.SINGLE_VISION,
        }
        return render(request, self.template, {"client": client, "form": form})

    def post(self, request, client_id: int):
        client = client_for_page(request.user, client_id)
        form = self._form(client, request.POST)
        if form.is_valid():
            try:
                dispensing = services.dispensing_create(
                    client=client,
                    actor=request.user,
                    values=form.cleaned_data,
                    exam=form.cleaned_data["exam"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Dispensing recorded; the lab order is placed."))
                return redirect("optical:dispensing", pk=dispensing.pk)
        return render(request, self.template, {"client": client, "form": form}, status=400)


class DispensingDetailView(_Read):
    def get(self, request, pk: int):
        dispensing = get_object_or_404(
            Dispensing.objects.select_related("recorded_by", "exam").prefetch_related(
                "exam__refractions"
            ),
            pk=pk,
        )
        client = client_for_page(request.user, dispensing.client_id)
        record_viewed(request, client)
        context = {
            "client": client,
            "d": dispensing,
            "currency": tenant_currency(),
            "rx": _rx_pairs(dispensing.exam),
            "can_write": request.user.can(Capability.RECORD_TREATMENT) and not client.erased_at,
        }
        return render(request, "optical/dispensing_detail.html", context)


class DispensingStatusView(_Write):
    def post(self, request, pk: int):
        dispensing = get_object_or_404(Dispensing, pk=pk)
        client_for_page(request.user, dispensing.client_id)
        status = request.POST.get("status", "")
        try:
            services.dispensing_advance(dispensing=dispensing, status=status, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("Lab order: %(status)s.") % {"status": LabStatus(status).label},
            )
        return redirect(next_url(request, reverse("optical:dispensing", args=[pk])))


def _rx_pairs(exam):
    """[(eye label, subjective refraction or None), …] of an exam, right eye first."""
    from verticals.optical.models import Eye

    if exam is None:
        return []
    by_eye = {r.eye: r for r in exam.refractions.all() if r.kind == "subjective"}
    return [(Eye(eye).label, by_eye.get(eye)) for eye in ("od", "os")]


# ---------- printable prescriptions ----------


def _exam_for_document(request, client) -> VisionExam:
    exams = _exams_of(client).select_related("recorded_by").filter(refractions__kind="subjective")
    if request.GET.get("record"):
        try:
            return exams.distinct().get(pk=int(request.GET["record"]))
        except (ValueError, VisionExam.DoesNotExist):
            raise Http404 from None
    exam = exams.distinct().order_by("-examined_on", "-id").first()
    if exam is None:
        raise Http404
    return exam


def _lens_for_document(request, client) -> Dispensing:
    lenses = Dispensing.objects.filter(client=client, lens_type=LensType.CONTACT_LENS)
    lenses = lenses.select_related("exam", "recorded_by").prefetch_related("exam__refractions")
    if request.GET.get("record"):
        try:
            return lenses.get(pk=int(request.GET["record"]))
        except (ValueError, Dispensing.DoesNotExist):
            raise Http404 from None
    lens = lenses.order_by("-dispensed_on", "-id").first()
    if lens is None:
        raise Http404
    return lens


def _spectacle_context(request, client):
    exam = _exam_for_document(request, client)
    return {
        "client": client,
        "exam": exam,
        "rx": _rx_pairs(exam),
        "tenant": connection.tenant,
        "printed_on": timezone.localdate(),
    }


def _nothing_to_print(request, client, message: str, tab: str):
    """The profile lists the documents for every client: one with nothing to print yet
    is told so on the tab, not sent to a 404."""
    messages.info(request, message)
    return redirect(profile_tab_url(client.pk, tab))


class SpectacleRxPrintView(_Read):
    def get(self, request, client_id: int):
        client = client_for_page(request.user, client_id)
        if (
            not request.GET.get("record")
            and not _exams_of(client).filter(refractions__kind="subjective").exists()
        ):
            message = _(
                "No prescription to print yet: record an exam with its subjective refraction."
            )
            return _nothing_to_print(request, client, message, "optical_exams")
        context = _spectacle_context(request, client)
        record_viewed(request, client)
        return render(request, "optical/rx_print.html", context)


class SpectacleRxPdfView(_Read):
    def get(self, request, client_id: int):
        from verticals.optical.pdf import spectacle_pdf

        client = client_for_page(request.user, client_id)
        exam = _exam_for_document(request, client)
        record_viewed(request, client)
        response = HttpResponse(spectacle_pdf(exam), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="spectacle-rx-{exam.pk}.pdf"'
        return response


class ContactLensRxPrintView(_Read):
    def get(self, request, client_id: int):
        client = client_for_page(request.user, client_id)
        lenses = Dispensing.objects.filter(client=client, lens_type=LensType.CONTACT_LENS)
        if not request.GET.get("record") and not lenses.exists():
            message = _("No contact lens dispensed yet.")
            return _nothing_to_print(request, client, message, "optical_dispensing")
        lens = _lens_for_document(request, client)
        record_viewed(request, client)
        context = {
            "client": client,
            "lens": lens,
            "exam": lens.exam,
            "rx": _rx_pairs(lens.exam),
            "tenant": connection.tenant,
            "printed_on": timezone.localdate(),
        }
        return render(request, "optical/cl_print.html", context)


class ContactLensRxPdfView(_Read):
    def get(self, request, client_id: int):
        from verticals.optical.pdf import contact_lens_pdf

        client = client_for_page(request.user, client_id)
        lens = _lens_for_document(request, client)
        record_viewed(request, client)
        response = HttpResponse(contact_lens_pdf(lens), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="contact-lens-rx-{lens.pk}.pdf"'
        return response


# ---------- settings ----------


class SettingsView(CapabilityRequiredMixin, View):
    capability = Capability.MANAGE_SETTINGS
    vertical = "optical"
    template = "optical/settings.html"

    def get(self, request):
        row = services.settings_get()
        form = SettingsForm(initial={"acuity_notation": row.acuity_notation})
        return render(request, self.template, {"form": form})

    def post(self, request):
        form = SettingsForm(request.POST)
        if form.is_valid():
            try:
                services.settings_save(
                    acuity_notation=form.cleaned_data["acuity_notation"], actor=request.user
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Optical settings saved."))
                return redirect("optical:settings")
        return render(request, self.template, {"form": form}, status=400)


# ---------- the visit record ----------


class VisitRecordView(_ExamFormView):
    """Where a practitioner lands after completing an optical appointment: the exam of that
    visit (a new one dated the visit's day, or the one already recorded for it)."""

    def _visit(self, request, visit_id):
        from visits.models import Visit

        visit = get_object_or_404(Visit.objects.select_related("client"), pk=visit_id)
        client = client_for_page(request.user, visit.client_id)
        exam = (
            VisionExam.objects.filter(client=client, visit=visit)
            .prefetch_related("refractions")
            .order_by("id")
            .first()
        )
        return visit, client, exam

    def get(self, request, visit_id: int):
        visit, client, exam = self._visit(request, visit_id)
        if exam is not None:
            initial = services.exam_initial(exam)
        else:
            initial = _new_exam_initial(client, visit.visited_on)
        form = ExamForm(initial=initial, notation=client_file.notation())
        return self._render(request, client, form, exam=exam, visit=visit)

    def post(self, request, visit_id: int):
        visit, client, exam = self._visit(request, visit_id)
        return self._save(request, client, exam=exam, visit=visit)
