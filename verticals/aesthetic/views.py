"""Aesthetic pages, mounted at /aesthetic/ (404 where the aesthetic vertical is off).

Reading any of them needs ``clients.health`` (treatment records and photos are clinical
data); writing needs ``treatment.record`` as well. Front desk has neither: 403. Objects
are looked up in the tenant's schema and through their client, so another client's or
business's id answers 404. The views only shape requests: every rule is in ``services``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Capability
from clients.selectors import client_for_page
from core.forms import add_service_errors
from verticals.aesthetic import facemap, services
from verticals.aesthetic.forms import (
    PhotoForm,
    ProductFormSet,
    SkinProfileForm,
    TreatmentRecordForm,
)
from verticals.aesthetic.models import Area, TreatmentPhoto, TreatmentRecord, Unit
from verticals.pages import (
    ClinicalRead,
    ClinicalWrite,
    next_url,
    profile_tab_url,
    record_viewed,
    visit_of,
)


class _Read(ClinicalRead):
    vertical = "aesthetic"


class _Write(ClinicalWrite):
    vertical = "aesthetic"


# ---------- skin profile ----------


class SkinProfileView(_Write):
    template = "aesthetic/skin_form.html"

    def get(self, request, client_id: int):
        client = client_for_page(request.user, client_id)
        record_viewed(request, client)
        current = services.current_skin_profile(client)
        initial = {}
        if current:
            initial = {f: getattr(current, f) for f in services.SKIN_FIELDS}
            initial["fitzpatrick"] = str(current.fitzpatrick or "")
        context = {"form": SkinProfileForm(initial=initial), "client": client}
        return render(request, self.template, context)

    def post(self, request, client_id: int):
        client = client_for_page(request.user, client_id)
        form = SkinProfileForm(request.POST)
        if form.is_valid():
            try:
                services.skin_profile_save(
                    client=client, actor=request.user, values=form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Skin profile saved."))
                return redirect(next_url(request, profile_tab_url(client.pk, "aesthetic_skin")))
        context = {"form": form, "client": client}
        return render(request, self.template, context, status=400)


# ---------- treatment records ----------


def _record_initial(record: TreatmentRecord) -> tuple[dict, list[dict]]:
    initial = {f: getattr(record, f) for f in services.RECORD_FIELDS}
    initial["points"] = services.points_data(record)
    products = [{f: getattr(p, f) for f in services.PRODUCT_FIELDS} for p in record.products.all()]
    return initial, products


def _add_product_errors(formset, exc: ValidationError) -> ValidationError | None:
    """Put ``products-<n>-<field>`` errors on their line; return the rest (or None)."""
    if not hasattr(exc, "error_dict"):
        return exc
    rest = {}
    for key, errors in exc.message_dict.items():
        parts = key.split("-")
        if len(parts) == 3 and parts[0] == "products" and parts[1].isdigit():
            n = int(parts[1])
            if n < len(formset.forms) and parts[2] in formset.forms[n].fields:
                formset.forms[n].add_error(parts[2], errors)
                continue
        rest[key] = errors
    return ValidationError(rest) if rest else None


class _RecordFormView(_Write):
    template = "aesthetic/record_form.html"

    def _render(self, request, client, form, formset, *, record=None, visit=None, status=200):
        context = {
            "client": client,
            "form": form,
            "formset": formset,
            "record": record,
            "visit": visit,
            "facemap": facemap.editable(form["points"].value()),
            "units": [[value, str(label)] for value, label in Unit.choices],
            "next": request.POST.get("next") or request.GET.get("next") or "",
        }
        return render(request, self.template, context, status=status)

    def _new_initial(self, client, visit) -> dict:
        initial = {"performed_on": visit.visited_on if visit else timezone.localdate()}
        if visit and visit.treatment_items:
            initial["procedure"] = "、".join(visit.treatment_items)[:120]
        if visit:
            initial["efficacy"] = visit.efficacy
            initial["satisfaction"] = visit.satisfaction
        return initial

    def _show(self, request, client, record, visit):
        record_viewed(request, client)
        if record is not None:
            initial, products = _record_initial(record)
        else:
            initial, products = self._new_initial(client, visit), []
        form = TreatmentRecordForm(initial=initial)
        formset = ProductFormSet(initial=products, prefix="products")
        return self._render(request, client, form, formset, record=record, visit=visit)

    def _save(self, request, client, record, visit):
        form = TreatmentRecordForm(request.POST)
        formset = ProductFormSet(request.POST, prefix="products")
        form_ok, lines_ok = form.is_valid(), formset.is_valid()
        if form_ok and lines_ok:
            try:
                saved = services.treatment_record_save(
                    client=client,
                    actor=request.user,
                    values=form.cleaned_data,
                    products=[f.cleaned_data for f in formset.forms],
                    points=form.cleaned_data["points"],
                    record=record,
                    visit=visit,
                )
            except ValidationError as exc:
                rest = _add_product_errors(formset, exc)
                if rest is not None:
                    add_service_errors(form, rest)
            else:
                messages.success(request, _("Treatment record saved."))
                return redirect(next_url(request, reverse("aesthetic:record", args=[saved.pk])))
        return self._render(request, client, form, formset, record=record, visit=visit, status=400)


class RecordCreateView(_RecordFormView):
    """A treatment record written at the counter, from the client's profile."""

    def get(self, request, client_id: int):
        client = client_for_page(request.user, client_id)
        return self._show(request, client, None, visit_of(request, client))

    def post(self, request, client_id: int):
        client = client_for_page(request.user, client_id)
        return self._save(request, client, None, visit_of(request, client))


class RecordEditView(_RecordFormView):
    def _record(self, request, pk):
        record = get_object_or_404(TreatmentRecord.objects.select_related("visit"), pk=pk)
        client = client_for_page(request.user, record.client_id)
        return client, record

    def get(self, request, pk: int):
        client, record = self._record(request, pk)
        return self._show(request, client, record, record.visit)

    def post(self, request, pk: int):
        client, record = self._record(request, pk)
        return self._save(request, client, record, record.visit)


class VisitRecordView(_RecordFormView):
    """Where a practitioner lands after completing an aesthetic appointment: the visit's
    treatment record (a new one, or the one already written for it)."""

    def _visit(self, request, visit_id):
        from visits.models import Visit

        visit = get_object_or_404(Visit.objects.select_related("client"), pk=visit_id)
        client = client_for_page(request.user, visit.client_id)
        record = TreatmentRecord.objects.filter(client=client, visit=visit).first()
        return client, visit, record

    def get(self, request, visit_id: int):
        client, visit, record = self._visit(request, visit_id)
        return self._show(request, client, record, visit)

    def post(self, request, visit_id: int):
        client, visit, record = self._visit(request, visit_id)
        return self._save(request, client, record, visit)


def _record_context(record) -> dict:
    photos = list(record.photos.select_related("image").order_by("taken_on", "id"))
    return {
        "record": record,
        "client": record.client,
        "products": list(record.products.all()),
        "facemap": facemap.read_only(services.points_data(record)),
        "photos": photos,
    }


class RecordDetailView(_Read):
    def get(self, request, pk: int):
        record = get_object_or_404(
            TreatmentRecord.objects.select_related("client", "practitioner", "visit"), pk=pk
        )
        client = client_for_page(request.user, record.client_id)
        record_viewed(request, client)
        context = _record_context(record)
        context["can_write"] = request.user.can(Capability.RECORD_TREATMENT) and not (
            client.erased_at
        )
        return render(request, "aesthetic/record_detail.html", context)


class RecordPrintView(_Read):
    """The printable treatment record (document "treatment_record"): ?record=<pk>, else
    the client's latest."""

    def get(self, request, client_id: int):
        client = client_for_page(request.user, client_id)
        records = TreatmentRecord.objects.filter(client=client).select_related(
            "client", "practitioner"
        )
        if request.GET.get("record"):
            try:
                record = records.get(pk=int(request.GET["record"]))
            except (ValueError, TreatmentRecord.DoesNotExist):
                raise Http404 from None
        else:
            record = records.order_by("-performed_on", "-id").first()
            if record is None:
                # The profile lists the document for every client: one with nothing to
                # print yet is told so on the tab, not sent to a 404.
                messages.info(request, _("No treatment records yet."))
                return redirect(profile_tab_url(client.pk, "aesthetic_treatments"))
        record_viewed(request, client)
        context = _record_context(record)
        context["printed_on"] = timezone.localdate()
        return render(request, "aesthetic/record_print.html", context)


# ---------- photos ----------


class PhotoCreateView(_Write):
    template = "aesthetic/photo_form.html"

    def _record(self, request, client):
        raw = request.POST.get("record") or request.GET.get("record")
        if not raw:
            return None
        try:
            return TreatmentRecord.objects.get(pk=int(raw), client=client)
        except (ValueError, TreatmentRecord.DoesNotExist):
            raise Http404 from None

    def _render(self, request, client, form, record, visit, status=200):
        context = {"form": form, "client": client, "record": record, "visit": visit}
        return render(request, self.template, context, status=status)

    def get(self, request, client_id: int):
        client = client_for_page(request.user, client_id)
        record, visit = self._record(request, client), visit_of(request, client)
        initial = {"taken_on": record.performed_on if record else timezone.localdate()}
        if record and record.areas:
            initial["area"] = record.areas[0]
        if request.GET.get("area") in Area.values:
            initial["area"] = request.GET["area"]
        return self._render(request, client, PhotoForm(initial=initial), record, visit)

    def post(self, request, client_id: int):
        client = client_for_page(request.user, client_id)
        record, visit = self._record(request, client), visit_of(request, client)
        form = PhotoForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.photo_add(
                    client=client,
                    actor=request.user,
                    upload=form.cleaned_data["file"],
                    values=form.cleaned_data,
                    visit=visit,
                    record=record,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Photo added."))
                fallback = (
                    reverse("aesthetic:record", args=[record.pk])
                    if record
                    else profile_tab_url(client.pk, "aesthetic_photos")
                )
                return redirect(next_url(request, fallback))
        return self._render(request, client, form, record, visit, status=400)


class PhotoDeleteView(_Write):
    def post(self, request, pk: int):
        photo = get_object_or_404(TreatmentPhoto.objects.select_related("image", "client"), pk=pk)
        client_for_page(request.user, photo.client_id)
        services.photo_delete(photo=photo, actor=request.user)
        messages.success(request, _("Photo deleted."))
        return redirect(profile_tab_url(photo.client_id, "aesthetic_photos"))


class PhotoCompareView(_Read):
    """Two photos of one area, of any two dates: side by side and as a slider overlay."""

    def get(self, request, client_id: int):
        client = client_for_page(request.user, client_id)
        photos = list(
            TreatmentPhoto.objects.filter(client=client, image__erased_at__isnull=True)
            .select_related("image")
            .order_by("taken_on", "id")
        )
        areas = [(a, label) for a, label in Area.choices if any(p.area == a for p in photos)]
        area = request.GET.get("area") or (areas[0][0] if areas else "")
        if area and area not in Area.values:
            raise Http404
        of_area = [p for p in photos if p.area == area]
        by_pk = {str(p.pk): p for p in of_area}
        for key in ("a", "b"):
            if request.GET.get(key) and request.GET[key] not in by_pk:
                raise Http404
        first = by_pk.get(request.GET.get("a", "")) or (of_area[0] if of_area else None)
        second = by_pk.get(request.GET.get("b", "")) or (of_area[-1] if of_area else None)
        record_viewed(request, client)
        context = {
            "client": client,
            "areas": areas,
            "area": area,
            "area_label": Area(area).label if area else "",
            "photos": of_area,
            "a": first,
            "b": second,
        }
        return render(request, "aesthetic/photo_compare.html", context)
