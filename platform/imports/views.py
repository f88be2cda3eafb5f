from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views import View

from accounts.roles import Capability
from audit import services as audit
from audit.models import Action
from clients import selectors as client_selectors
from clients.services import phone_region
from core.forms import add_service_errors
from imports import export, selectors, services
from imports.models import ImportJob, JobStatus, RowAction
from portal.mixins import CapabilityRequiredMixin

PREVIEW_LIMIT = 500


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet"),
        help_text=gettext_lazy(
            "Excel .xlsx, or .csv in UTF-8 or GBK. The first row holds the column names."
        ),
    )


def _job(request, pk: int) -> ImportJob:
    """The job, if it is this user's (or they own the business); anyone else gets 404."""
    job = services.job_for(user=request.user, pk=pk)
    if job is None:
        raise Http404
    return job


def _hidden_sample(target, user) -> bool:
    """Health and ID cells are shown only to those who may read them in the portal."""
    if target is None:
        return False
    if target.key == "client.national_id":
        return not user.can(Capability.VIEW_FULL_ID)
    return target.clinical and not user.can(Capability.VIEW_HEALTH)


class ImportStartView(CapabilityRequiredMixin, View):
    capability = Capability.IMPORT_CLIENTS

    def get(self, request):
        jobs = services.jobs_visible(request.user)[:10]
        return render(request, "imports/start.html", {"form": UploadForm(), "jobs": jobs})

    def post(self, request):
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                job = services.job_create(upload=form.cleaned_data["file"], user=request.user)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("imports:mapping", pk=job.pk)
        jobs = services.jobs_visible(request.user)[:10]
        return render(request, "imports/start.html", {"form": form, "jobs": jobs}, status=400)


class ImportMappingView(CapabilityRequiredMixin, View):
    capability = Capability.IMPORT_CLIENTS

    def _context(self, job, chosen, error="", targets=None):
        user = self.request.user
        targets = targets if targets is not None else services.available_targets(user)
        groups: dict = {}
        for target in targets:
            groups.setdefault(str(target.group), []).append(target)
        every = {t.key: t for t in services.all_targets()}
        guessed = services.mapping.guess(job.headers, list(every.values()))
        withheld = services.withheld_columns(job, user)
        columns = []
        for i, header in enumerate(job.headers):
            target = every.get(chosen.get(str(i)) or guessed.get(str(i), ""))
            samples = (
                None  # shown as "hidden"
                if _hidden_sample(target, user)
                else [r[i] for r in job.samples if i < len(r) and r[i]][:3]
            )
            columns.append((str(i), header, samples, chosen.get(str(i), "")))
        return {
            "job": job,
            "columns": columns,
            "groups": groups,
            "error": error,
            "withheld": [job.headers[int(c)] for c in withheld],
        }

    def get(self, request, pk: int):
        job = _job(request, pk)
        targets = services.available_targets(request.user)
        chosen = job.mapping or services.mapping.guess(job.headers, targets)
        context = self._context(job, chosen, targets=targets)
        return render(request, "imports/mapping.html", context)

    def post(self, request, pk: int):
        job = _job(request, pk)
        chosen = {str(i): request.POST.get(f"col_{i}", "") for i in range(len(job.headers))}
        try:
            services.job_map(job=job, chosen=chosen, user=request.user)
            services.job_check_start(job)
        except ValidationError as exc:
            context = self._context(job, chosen, " ".join(exc.messages))
            return render(request, "imports/mapping.html", context, status=400)
        return redirect("imports:job", pk=job.pk)


class ImportJobView(CapabilityRequiredMixin, View):
    capability = Capability.IMPORT_CLIENTS

    def get(self, request, pk: int):
        job = _job(request, pk)
        done = services.progress_of(job)
        context = {
            "job": job,
            "done": done,
            "percent": int(100 * done / job.total_rows) if job.total_rows else 0,
        }
        if request.htmx and job.running:
            return render(request, "imports/_progress.html", context)
        if request.htmx:
            response = render(request, "imports/_progress.html", context)
            response["HX-Refresh"] = "true"
            return response
        if job.status == JobStatus.CHECKED:
            groups, membership = selectors.problem_groups(job)
            page, rest = selectors.rest_page(job, groups, membership, request.GET.get("page"))
            written, left_out = selectors.written_columns(job, request.user)
            can_merge = services.may_merge(request.user)
            context.update(
                groups=[g for g in groups if g.count >= selectors.GROUP_MIN],
                bad=rest,
                page=page,
                written=written,
                left_out=left_out,
                settled=_settled_labels(job),
                duplicates=list(
                    job.rows.filter(errors=[]).exclude(
                        duplicate_of__isnull=True, duplicate_row__isnull=True
                    )[:PREVIEW_LIMIT]
                ),
                actions=[(v, label) for v, label in RowAction.choices if can_merge or v != "merge"],
                limit=PREVIEW_LIMIT,
            )
        return render(request, "imports/job.html", context)


SETTLE_LABELS = {
    "skip": gettext_lazy("skip these rows"),
    "drop": gettext_lazy("import them without this value"),
    "notes": gettext_lazy("keep the value in the special notes"),
}


def _settled_labels(job) -> list[tuple]:
    """(target key, cause, column label, decision label) of each settled group."""
    labels = {t.key: t.label for t in services.all_targets()}
    out = []
    for group, how in job.settled.items():
        key, _sep, cause = group.partition("|")
        out.append((key, cause, labels.get(key, key), SETTLE_LABELS.get(how, how)))
    return out


class ImportSettleView(CapabilityRequiredMixin, View):
    """Settle every row sharing one problem at once, then check the sheet again."""

    capability = Capability.IMPORT_CLIENTS

    def post(self, request, pk: int):
        job = _job(request, pk)
        try:
            services.job_settle(
                job=job,
                key=request.POST.get("key", ""),
                cause=request.POST.get("cause", ""),
                how=request.POST.get("how", ""),
                user=request.user,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("imports:job", pk=job.pk)


class ImportDiscardView(CapabilityRequiredMixin, View):
    capability = Capability.IMPORT_CLIENTS

    def post(self, request, pk: int):
        job = _job(request, pk)
        try:
            services.job_discard(job=job, user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("imports:job", pk=job.pk)
        messages.success(request, _("The import was discarded; its file and rows are deleted."))
        return redirect("imports:start")


class ImportCommitView(CapabilityRequiredMixin, View):
    capability = Capability.IMPORT_CLIENTS

    def post(self, request, pk: int):
        job = _job(request, pk)
        if job.status != JobStatus.CHECKED:
            raise Http404
        if job.bad_rows and not request.POST.get("skip_bad"):
            messages.error(
                request,
                _("Fix the rows with problems and upload the file again, or tick “skip them”."),
            )
            return redirect("imports:job", pk=job.pk)
        per_row = {
            int(key[4:]): value
            for key, value in request.POST.items()
            if key.startswith("row_") and key[4:].isdigit()
        }
        services.job_set_actions(
            job=job,
            existing=request.POST.get("existing", ""),
            in_file=request.POST.get("in_file", ""),
            rows=per_row,
            actor=request.user,
        )
        try:
            done = services.job_commit_start(job, actor=request.user)
        except ValidationError as exc:  # the job records why; nothing was written
            messages.error(
                request,
                _("The import failed and nothing was saved: %(error)s")
                % {"error": " ".join(exc.messages)},
            )
        except Exception:  # noqa: BLE001 - recorded on the job; the user gets our words
            messages.error(
                request,
                _("The import failed and nothing was saved: %(error)s")
                % {"error": _("an unexpected error; please try again.")},
            )
        else:
            if done is not None:  # committed here; a worker's commit shows its progress
                messages.success(
                    request,
                    _("Imported: %(created)s new files, %(merged)s merged, %(skipped)s skipped.")
                    % {
                        "created": done.created_count,
                        "merged": done.merged_count,
                        "skipped": done.skipped_count,
                    },
                )
        return redirect("imports:job", pk=job.pk)


class ExportView(CapabilityRequiredMixin, View):
    capability = Capability.EXPORT_CLIENTS

    def get(self, request, fmt: str):
        if fmt not in ("csv", "xlsx"):
            raise Http404
        _form, clients = client_selectors.client_list_from_params(
            user=request.user, params=request.GET
        )
        region = phone_region()
        cols = export.columns(request.user, region=region)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        audit.record(
            action=Action.EXPORT,
            actor=request.user,
            object_type="client_list",
            note=audit.note(
                gettext_noop("%(format)s export of %(count)s clients"),
                format=fmt.upper(),
                count=clients.count(),
            ),
        )
        if fmt == "csv":
            response = StreamingHttpResponse(
                export.csv_stream(clients, cols), content_type="text/csv; charset=utf-8"
            )
            response["Content-Disposition"] = f'attachment; filename="clients-{stamp}.csv"'
            return response
        return FileResponse(
            export.xlsx_file(clients, cols),
            as_attachment=True,
            filename=f"clients-{stamp}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
