"""Dental pages, mounted at /dental/ (404 where the dental vertical is off).

Reading any of them needs ``clients.health`` (the chart is clinical data); writing needs
``treatment.record``. Front desk has neither: 403. Objects are looked up in the tenant's
schema and through their client, so another client's or business's id answers 404. The
views only shape requests: every rule is in ``services``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Capability
from clients.selectors import client_for_page
from core.forms import add_service_errors
from verticals.dental import selectors, services, teeth
from verticals.dental.forms import (
    CleaningForm,
    OralRecordForm,
    PlanForm,
    PlanItemForm,
    ToothEntryForm,
    XRayForm,
)
from verticals.dental.models import (
    CleaningRecord,
    OralHealthRecord,
    PerioExam,
    PlanItem,
    TreatmentPlan,
    XRay,
)
from verticals.pages import (
    ClinicalRead,
    ClinicalWrite,
    next_url,
    profile_tab_url,
    record_viewed,
    tenant_currency,
    visit_of,
)


class _Read(ClinicalRead):
    vertical = "dental"


class _Write(ClinicalWrite):
    vertical = "dental"


# The forms of the visit record page post to their own views with ``return_to=visit``
# and the visit: an invalid one is shown again on that page, a saved one goes back to it.
# The visit is looked up among the client's own visits (``_visit_of``: another client's
# is 404), and the way back is built here from it, never taken from the request.
RETURN_TO_VISIT = "visit"


def _from_visit_page(request, visit) -> bool:
    return visit is not None and request.POST.get("return_to") == RETURN_TO_VISIT


def _posted_child(request) -> bool:
    return request.POST.get("set") == "child"


def _visit_page_url(visit, *, child: bool = False) -> str:
    url = reverse("dental:visit_record", args=[visit.pk])
    return f"{url}?set=child" if child else url


# ---------- tooth chart ----------


def _chart_flag(request) -> bool:
    return request.GET.get("set") == "child"


class ChartView(_Read):
    """The chart of one client with the form beside it (GET), and a new entry (POST)."""

    def get(self, request, client_id: int):
        client = client_for_page(request.user, client_id)
        record_viewed(request, client)
        context = selectors.chart_context(request, client, child=_chart_flag(request))
        context.update(
            {
                "client": client,
                "form": ToothEntryForm(initial=_tooth_initial(request)),
                "can_write": request.user.can(Capability.RECORD_TREATMENT) and not client.erased_at,
            }
        )
        return render(request, "dental/chart_page.html", context)


class ChartHistoryView(_Read):
    """The whole chart history of one client, newest first, 50 a page, of one tooth when
    ?tooth= names one (any other value shows every tooth)."""

    def get(self, request, client_id: int):
        client = client_for_page(request.user, client_id)
        raw = request.GET.get("tooth", "")
        tooth = int(raw) if teeth.is_tooth(raw) else None
        page, charted = selectors.chart_history_page(
            client, tooth=tooth, page=request.GET.get("page")
        )
        record_viewed(request, client)
        context = {
            "client": client,
            "page": page,
            "history": page.object_list,
            "charted": charted,
            "tooth": tooth,
            "querystring": f"tooth={tooth}" if tooth is not None else "",
        }
        return render(request, "dental/chart_history.html", context)


def _tooth_initial(request) -> dict:
    tooth = request.GET.get("tooth")
    return {"tooth": tooth} if tooth and teeth.is_tooth(tooth) else {}


class ToothEntryCreateView(_Write):
    def post(self, request, client_id: int):
        client = client_for_page(request.user, client_id)
        visit = visit_of(request, client)
        form = ToothEntryForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                entry = services.tooth_entry_add(
                    client=client,
                    actor=request.user,
                    tooth=data["tooth"],
                    surfaces=data["surfaces"],
                    condition=data["condition"],
                    status=data["status"],
                    note=data["note"],
                    visit=visit,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Tooth %(tooth)s: %(condition)s recorded.")
                    % {"tooth": entry.tooth, "condition": entry.get_condition_display()},
                )
                if _from_visit_page(request, visit):
                    return redirect(_visit_page_url(visit, child=_posted_child(request)))
                fallback = reverse("dental:chart", args=[client.pk])
                return redirect(next_url(request, fallback))
        child = _posted_child(request)
        if _from_visit_page(request, visit):
            return _visit_page(request, visit, client, child=child, form=form, status=400)
        context = selectors.chart_context(request, client, child=child)
        context.update(
            {
                "client": client,
                "form": form,
                "visit": visit,
                "can_write": True,
                "next": request.POST.get("next", ""),
                "toggle_url": reverse("dental:chart", args=[client.pk]),
            }
        )
        return render(request, "dental/chart_page.html", context, status=400)


# ---------- record forms (oral exam, X-ray, cleaning, new plan) ----------


class _RecordFormView(_Write):
    """A record of one client written through one service, new or edited: the oral exam,
    the X-ray, the cleaning record and a new plan differ only in the attributes below."""

    template = "dental/record_form.html"
    model = None  # set where a record can be edited (``pk`` in the URL)
    form_class = None
    layout: tuple[tuple[str, ...], ...] = ()
    title_new = title_edit = submit = success = ""
    intro = ""
    tab = "dental_chart"

    def save(self, *, client, actor, values, record, visit):
        raise NotImplementedError

    def initial(self, request, client, record) -> dict:
        return {}

    # Whether this form is also shown on the visit record page (the cleaning record).
    on_visit_page = False

    def done(self, request, client, saved):
        visit = visit_of(request, client)
        if self.on_visit_page and _from_visit_page(request, visit):
            return redirect(_visit_page_url(visit))
        return redirect(next_url(request, profile_tab_url(client.pk, self.tab)))

    def _record(self, client, pk):
        return get_object_or_404(self.model, pk=pk, client=client) if pk else None

    def _render(self, request, client, record, form, status=200):
        visit = visit_of(request, client)
        if self.on_visit_page and _from_visit_page(request, visit):
            return _visit_page(
                request,
                visit,
                client,
                child=_posted_child(request),
                cleaning=record,
                cleaning_form=form,
                status=status,
            )
        context = {
            "form": form,
            "rows": [[form[name] for name in row] for row in self.layout],
            "client": client,
            "record": record,
            "visit": visit,
            "next": request.POST.get("next") or request.GET.get("next") or "",
            "title": self.title_edit if record else self.title_new,
            "intro": self.intro,
            "submit": self.submit,
            "back": profile_tab_url(client.pk, self.tab),
        }
        return render(request, self.template, context, status=status)

    def get(self, request, client_id: int, pk: int | None = None):
        client = client_for_page(request.user, client_id)
        record = self._record(client, pk)
        if record:
            record_viewed(request, client)
            initial = {name: getattr(record, name) for row in self.layout for name in row}
        else:
            initial = self.initial(request, client, record)
        return self._render(request, client, record, self.form_class(initial=initial))

    def post(self, request, client_id: int, pk: int | None = None):
        client = client_for_page(request.user, client_id)
        record = self._record(client, pk)
        form = self.form_class(request.POST, request.FILES)
        if form.is_valid():
            try:
                saved = self.save(
                    client=client,
                    actor=request.user,
                    values=form.cleaned_data,
                    record=record,
                    visit=visit_of(request, client),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, self.success)
                return self.done(request, client, saved)
        return self._render(request, client, record, form, status=400)


class OralRecordView(_RecordFormView):
    model = OralHealthRecord
    form_class = OralRecordForm
    layout = (("examined_on",), ("medical_history",), ("findings",), ("periodontal_status",))
    title_new = gettext_lazy("New oral examination")
    title_edit = gettext_lazy("Oral examination")
    submit = gettext_lazy("Save oral health record")
    success = gettext_lazy("Oral health record saved.")

    def initial(self, request, client, record) -> dict:
        initial = {"examined_on": timezone.localdate()}
        latest = OralHealthRecord.objects.filter(client=client).first()
        if latest:
            initial["medical_history"] = latest.medical_history
        return initial

    def save(self, **kwargs):
        return services.oral_record_save(**kwargs)


class XRayCreateView(_RecordFormView):
    form_class = XRayForm
    layout = (("file",), ("taken_on", "kind"), ("teeth",), ("note",))
    title_new = gettext_lazy("Add an X-ray")
    submit = gettext_lazy("Upload the X-ray")
    success = gettext_lazy("X-ray added.")
    intro = gettext_lazy("A JPEG, PNG or WebP image; location data is removed when it is stored.")

    def initial(self, request, client, record) -> dict:
        return {"taken_on": timezone.localdate()}

    def save(self, *, client, actor, values, record, visit):
        return services.xray_add(
            client=client, actor=actor, upload=values["file"], values=values, visit=visit
        )


class CleaningView(_RecordFormView):
    model = CleaningRecord
    form_class = CleaningForm
    layout = (
        ("performed_on",),
        ("steriliser_batch", "steriliser_cycle"),
        ("preparation",),
        ("tools",),
        ("procedure_steps",),
        ("effect_evaluation", "client_feedback"),
        ("special_situations", "other_notes"),
    )
    on_visit_page = True
    title_new = gettext_lazy("New cleaning record")
    title_edit = gettext_lazy("Cleaning record")
    submit = gettext_lazy("Save cleaning record")
    success = gettext_lazy("Cleaning record saved.")

    def initial(self, request, client, record) -> dict:
        return {"performed_on": timezone.localdate(), "tools": ["ultrasonic"]}

    def save(self, **kwargs):
        return services.cleaning_save(**kwargs)


class PlanCreateView(_RecordFormView):
    form_class = PlanForm
    layout = (("title",), ("note",))
    title_new = gettext_lazy("New treatment plan")
    submit = gettext_lazy("Create the plan")
    success = gettext_lazy("Treatment plan created.")
    tab = "dental_plan"

    def initial(self, request, client, record) -> dict:
        return {"title": _("Treatment plan")}

    def save(self, *, client, actor, values, record, visit):
        return services.plan_create(client=client, actor=actor, **values)

    def done(self, request, client, saved):
        return redirect("dental:plan", pk=saved.pk)


class XRayDeleteView(_Write):
    def post(self, request, pk: int):
        xray = get_object_or_404(XRay.objects.select_related("image", "client"), pk=pk)
        services.xray_delete(xray=xray, actor=request.user)
        messages.success(request, _("X-ray deleted."))
        return redirect(profile_tab_url(xray.client_id, "dental_chart"))


# ---------- periodontal chart ----------


# The two rows of sites of each tooth in the perio grids.
SIDES = ("buccal", "lingual")


def _perio_post(post) -> tuple[dict, dict]:
    sites, findings = {}, {}
    for tooth in teeth.ADULT_TEETH:
        for site in teeth.PERIO_SITES:
            sites[(tooth, site)] = {
                "depth": post.get(services.site_field("depth", tooth, site), ""),
                "recession": post.get(services.site_field("recession", tooth, site), ""),
                "bleeding": post.get(services.site_field("bleeding", tooth, site)) == "on",
            }
        findings[tooth] = {
            "mobility": post.get(services.site_field("mobility", tooth), ""),
            "furcation": post.get(services.site_field("furcation", tooth), ""),
        }
    return sites, findings


class PerioCreateView(_Write):
    template = "dental/perio_form.html"

    def _render(self, request, client, values, errors, examined_on, note, status=200, top=()):
        context = {
            "client": client,
            "grid": selectors.perio_grid(values, errors),
            "examined_on": examined_on,
            "note": note,
            "errors": errors,
            "top_errors": top,
            "sides": SIDES,
            "visit": visit_of(request, client),
        }
        return render(request, self.template, context, status=status)

    def get(self, request, client_id: int):
        client = client_for_page(request.user, client_id)
        return self._render(request, client, {}, {}, timezone.localdate().isoformat(), "")

    def post(self, request, client_id: int):
        import datetime as dt

        client = client_for_page(request.user, client_id)
        sites, findings = _perio_post(request.POST)
        raw_date = request.POST.get("examined_on", "")
        note = request.POST.get("note", "")
        try:
            examined_on = dt.date.fromisoformat(raw_date)
        except ValueError:
            examined_on = None
        try:
            exam = services.perio_exam_create(
                client=client,
                actor=request.user,
                examined_on=examined_on,
                sites=sites,
                teeth_findings=findings,
                note=note,
                visit=visit_of(request, client),
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {}
            top = exc.messages if not hasattr(exc, "error_dict") else []
            return self._render(
                request, client, request.POST, errors, raw_date, note, status=400, top=top
            )
        messages.success(request, _("Periodontal exam saved."))
        return redirect(next_url(request, reverse("dental:perio", args=[exam.pk])))


class PerioDetailView(_Read):
    template = "dental/perio_detail.html"

    def get(self, request, pk: int):
        exam = get_object_or_404(PerioExam.objects.select_related("client", "recorded_by"), pk=pk)
        record_viewed(request, exam.client)
        grid = selectors.exam_grid(exam)
        context = {"exam": exam, "client": exam.client, "grid": grid, "sides": SIDES}
        return render(request, self.template, context)


class PerioCompareView(_Read):
    def get(self, request, client_id: int):
        client = client_for_page(request.user, client_id)
        exams = list(PerioExam.objects.filter(client=client).order_by("-examined_on", "-id"))
        by_pk = {str(e.pk): e for e in exams}
        first = by_pk.get(request.GET.get("a", "")) or (exams[1] if len(exams) > 1 else None)
        second = by_pk.get(request.GET.get("b", "")) or (exams[0] if exams else None)
        if (request.GET.get("a") and request.GET["a"] not in by_pk) or (
            request.GET.get("b") and request.GET["b"] not in by_pk
        ):
            raise Http404
        record_viewed(request, client)
        context = {"client": client, "exams": exams, "a": first, "b": second, "sides": SIDES}
        if first and second:
            context["compare"] = selectors.perio_compare(first, second)
        return render(request, "dental/perio_compare.html", context)


class PerioPrintView(_Read):
    """The perio chart as a print page (document "perio_chart"): ?record=<exam pk>, else
    the latest exam."""

    def get(self, request, client_id: int):
        client = client_for_page(request.user, client_id)
        exams = PerioExam.objects.filter(client=client).select_related("recorded_by")
        exam = _document_record(request, exams.order_by("-examined_on", "-id"))
        if exam is None:
            return _nothing_to_print(
                request, client, _("No periodontal exam recorded yet."), "dental:perio_new"
            )
        record_viewed(request, client)
        grid = selectors.exam_grid(exam)
        context = {"exam": exam, "client": client, "grid": grid, "sides": SIDES}
        return render(request, "dental/perio_print.html", context)


# ---------- printable documents ----------


def _document_record(request, records):
    """The record a document prints: ?record=<pk> of these (404 if it is not one of
    them), else the newest, else None."""
    raw = request.GET.get("record")
    if not raw:
        return records.first()
    try:
        return records.get(pk=int(raw))
    except (ValueError, records.model.DoesNotExist):
        raise Http404 from None


def _nothing_to_print(request, client, message, create_url: str):
    """The profile lists the trade's documents for every client: one with nothing to
    print yet is told so (and offered the form), not sent to a 404."""
    context = {
        "client": client,
        "message": message,
        "create_url": reverse(create_url, args=[client.pk])
        if request.user.can(Capability.RECORD_TREATMENT) and not client.erased_at
        else "",
    }
    return render(request, "dental/nothing_to_print.html", context)


# ---------- treatment plans ----------


class PlanView(_Read):
    """A plan with its items and totals, and the form to add an item (POST, writers)."""

    def _render(self, request, plan, form, status=200):
        items = list(plan.items.all())
        context = {
            "plan": plan,
            "client": plan.client,
            "items": items,
            "totals": services.plan_totals(items),
            "form": form,
            "currency": tenant_currency(),
            "can_write": request.user.can(Capability.RECORD_TREATMENT),
        }
        return render(request, "dental/plan.html", context, status=status)

    def _plan(self, pk):
        return get_object_or_404(TreatmentPlan.objects.select_related("client"), pk=pk)

    def get(self, request, pk: int):
        plan = self._plan(pk)
        record_viewed(request, plan.client)
        return self._render(request, plan, PlanItemForm(initial=_tooth_initial(request)))

    def post(self, request, pk: int):
        if not request.user.can(Capability.RECORD_TREATMENT):
            from portal.mixins import role_forbidden

            return role_forbidden(request)
        plan = self._plan(pk)
        form = PlanItemForm(request.POST)
        if form.is_valid():
            try:
                services.plan_item_add(plan=plan, actor=request.user, values=form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Item added to the plan."))
                return redirect("dental:plan", pk=plan.pk)
        return self._render(request, plan, form, status=400)


class PlanItemEditView(_Write):
    def _item(self, pk):
        return get_object_or_404(PlanItem.objects.select_related("plan__client"), pk=pk)

    def _render(self, request, item, form, status=200):
        context = {"item": item, "plan": item.plan, "client": item.plan.client, "form": form}
        return render(request, "dental/plan_item_form.html", context, status=status)

    def get(self, request, pk: int):
        item = self._item(pk)
        initial = {f: getattr(item, f) for f in services.ITEM_FIELDS}
        return self._render(request, item, PlanItemForm(initial=initial))

    def post(self, request, pk: int):
        item = self._item(pk)
        if request.POST.get("delete"):
            try:
                services.plan_item_delete(item=item, actor=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Item removed from the plan."))
            return redirect("dental:plan", pk=item.plan_id)
        form = PlanItemForm(request.POST)
        if form.is_valid():
            try:
                services.plan_item_update(item=item, actor=request.user, values=form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Plan item saved."))
                return redirect("dental:plan", pk=item.plan_id)
        return self._render(request, item, form, status=400)


def _plan_for_document(request, client):
    plan = _document_record(
        request, TreatmentPlan.objects.filter(client=client).order_by("-created_at", "-id")
    )
    if plan is None:
        raise Http404
    return plan


class PlanPrintView(_Read):
    """The printable treatment plan (document "treatment_plan"): ?record=<plan pk>."""

    def get(self, request, client_id: int):
        client = client_for_page(request.user, client_id)
        plans = TreatmentPlan.objects.filter(client=client).order_by("-created_at", "-id")
        plan = _document_record(request, plans)
        if plan is None:
            return _nothing_to_print(
                request, client, _("No treatment plan yet."), "dental:plan_new"
            )
        record_viewed(request, client)
        items = list(plan.items.all())
        context = {
            "plan": plan,
            "client": client,
            "items": items,
            "totals": services.plan_totals(items),
            "currency": tenant_currency(),
            "printed_on": timezone.localdate(),
        }
        return render(request, "dental/plan_print.html", context)


class PlanPdfView(_Read):
    def get(self, request, client_id: int):
        from verticals.dental.pdf import treatment_plan_pdf

        client = client_for_page(request.user, client_id)
        plan = _plan_for_document(request, client)
        record_viewed(request, client)
        data = treatment_plan_pdf(plan, currency=tenant_currency())
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="treatment-plan-{plan.pk}.pdf"'
        return response


# ---------- the visit record ----------


def _visit_page(
    request, visit, client, *, child, form=None, cleaning=None, cleaning_form=None, status=200
):
    """The visit record page: the chart with its entry form and the visit's cleaning
    record; a form posted from it and refused comes back here with its errors."""
    context = selectors.chart_context(request, client, child=child)
    if cleaning is None:
        cleaning = CleaningRecord.objects.filter(client=client, visit=visit).first()
    if cleaning_form is None:
        if cleaning:
            initial = {f: getattr(cleaning, f) for f in services.CLEANING_FIELDS}
        else:
            initial = {"performed_on": visit.visited_on, "tools": ["ultrasonic"]}
        cleaning_form = CleaningForm(initial=initial)
    visit_entries = [e for e in context["history"] if e.visit_id == visit.pk]
    context.update(
        {
            "client": client,
            "visit": visit,
            "form": form or ToothEntryForm(initial=_tooth_initial(request)),
            "cleaning": cleaning,
            "cleaning_form": cleaning_form,
            "visit_entries": visit_entries,
            "can_write": not client.erased_at,
            "return_to": RETURN_TO_VISIT,
            "toggle_url": reverse("dental:visit_record", args=[visit.pk]),
            "next": _visit_page_url(visit, child=context["child"]),
            "perio_exams": PerioExam.objects.filter(client=client, visit=visit),
        }
    )
    return render(request, "dental/visit_record.html", context, status=status)


class VisitRecordView(_Write):
    """Where a practitioner lands after completing a dental appointment: the chart and the
    cleaning record of that visit (entries and records written here link to it)."""

    def get(self, request, visit_id: int):
        from visits.models import Visit

        visit = get_object_or_404(Visit.objects.select_related("client"), pk=visit_id)
        client = client_for_page(request.user, visit.client_id)
        record_viewed(request, client)
        return _visit_page(request, visit, client, child=_chart_flag(request))
