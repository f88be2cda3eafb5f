from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import UserPassesTestMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View

from billing.forms import ExtendTrialForm, GrantPlanForm
from billing.models import Subscription, SubscriptionStatus
from billing.services import subscription_extend_trial, subscription_grant_plan
from core import ratelimit
from core.forms import add_service_errors
from core.http import client_ip
from core.text import search_query
from tenants import landing, stats
from tenants.forms import ReasonForm, SignupForm, SuspendForm, TypedConfirmationForm
from tenants.models import Tenant, TenantStatus, business_type_choices, business_type_values
from tenants.services import (
    ProvisioningError,
    tenant_close,
    tenant_export,
    tenant_portal_url,
    tenant_purge,
    tenant_purgeable,
    tenant_reactivate,
    tenant_signup,
    tenant_suspend,
)


class LandingView(View):
    def get(self, request):
        types = [
            (value, label, landing.BUSINESS_TYPES.get(value, ""))
            for value, label in business_type_choices()
        ]
        context = {"business_types": types, "features": landing.FEATURES}
        return render(request, "tenants/landing.html", context)


class SignupView(View):
    template_name = "tenants/signup.html"

    def get(self, request):
        initial = {"language": request.LANGUAGE_CODE}
        if request.GET.get("type") in business_type_values():
            initial["business_type"] = request.GET["type"]
        return render(request, self.template_name, {"form": SignupForm(initial=initial)})

    def post(self, request):
        form = SignupForm(request.POST)
        key = f"signup:{client_ip(request)}"
        if ratelimit.count(key) >= settings.SIGNUP_RATE_LIMIT:
            form.add_error(
                None, _("Too many signups from your network. Please try again in an hour.")
            )
            return render(request, self.template_name, {"form": form}, status=429)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        data = form.cleaned_data
        try:
            result = tenant_signup(
                business_name=data["business_name"],
                business_type=data["business_type"],
                subdomain=data["subdomain"],
                owner_name=data["owner_name"],
                owner_email=data["email"],
                owner_password=data["password"],
                language=data["language"],
                time_zone=data["time_zone"],
                currency=data["currency"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "domain" in exc.error_dict:
                form.add_error("subdomain", _("This address is already taken. Choose another."))
            else:
                form.add_error(
                    None,
                    _("We could not create your business: %(reason)s")
                    % {"reason": "; ".join(exc.messages)},
                )
            return render(request, self.template_name, {"form": form}, status=400)
        except ProvisioningError:
            form.add_error(
                None,
                _(
                    "We could not create your business just now. Nothing was "
                    "saved; please try again."
                ),
            )
            return render(request, self.template_name, {"form": form}, status=503)
        ratelimit.hit(key, window_seconds=settings.SIGNUP_RATE_WINDOW_SECONDS)
        return HttpResponseRedirect(
            tenant_portal_url(result.domain.domain, f"/accounts/welcome/{result.login_token}/")
        )


def _date(value) -> str:
    return formats.date_format(timezone.localtime(value), "DATE_FORMAT") if value else ""


CONSOLE_STATUSES = (TenantStatus.ACTIVE, TenantStatus.SUSPENDED, TenantStatus.CLOSED)


class OperatorRequiredMixin(UserPassesTestMixin):
    """Platform operators: superusers of the public schema only."""

    raise_exception = False

    def test_func(self):
        user = self.request.user
        return (
            connection.schema_name == settings.PUBLIC_SCHEMA_NAME
            and user.is_authenticated
            and user.is_superuser
            and user.is_active
        )

    def handle_no_permission(self):
        if self.request.user.is_authenticated:
            return render(self.request, "404.html", status=404)
        return redirect(f"{reverse('console_login')}?next={self.request.path}")


class ConsoleView(OperatorRequiredMixin, View):
    page_size = 50

    def get(self, request):
        tenants = (
            Tenant.objects.exclude(status__in=[TenantStatus.PUBLIC, TenantStatus.SPARE])
            .select_related("subscription__plan")
            .prefetch_related("domains")
            .order_by("-activated_at", "-created_at")
        )
        query = search_query(request.GET.get("q"))
        if query:
            tenants = tenants.filter(
                Q(name__icontains=query) | Q(domains__domain__icontains=query)
            ).distinct()
        status = request.GET.get("status", "")
        if status in CONSOLE_STATUSES:
            tenants = tenants.filter(status=status)
        # Reached from the Plans page's count of businesses (no extra query for a menu).
        plan = search_query(request.GET.get("plan"))
        if plan:
            tenants = tenants.filter(subscription__plan__code=plan)
        billing = request.GET.get("billing", "")
        if billing in SubscriptionStatus.values:
            tenants = tenants.filter(subscription__status=billing)
        page = Paginator(tenants, self.page_size).get_page(request.GET.get("page"))
        counts = stats.counts_for(
            [t.schema_name for t in page.object_list],
            zones={t.schema_name: t.time_zone for t in page.object_list},
        )
        keys = [c.key for c in stats.counters()]
        rows = [
            (t, [counts.get(t.schema_name, {}).get(k, 0) for k in keys]) for t in page.object_list
        ]
        context = {
            "page": page,
            "rows": rows,
            "counters": stats.counters(),
            "query": query,
            "status": status,
            "plan": plan,
            "billing": billing,
            "billing_statuses": SubscriptionStatus.choices,
            "totals": Tenant.objects.aggregate(
                active=Count("id", filter=Q(status=TenantStatus.ACTIVE)),
                suspended=Count("id", filter=Q(status=TenantStatus.SUSPENDED)),
                closed=Count("id", filter=Q(status=TenantStatus.CLOSED)),
                spare=Count("id", filter=Q(status=TenantStatus.SPARE)),
                # The subscription's join costs no extra query.
                trialing=Count("id", filter=Q(subscription__status=SubscriptionStatus.TRIALING)),
                unpaid=Count(
                    "id",
                    filter=Q(
                        subscription__status__in=[
                            SubscriptionStatus.PAST_DUE,
                            SubscriptionStatus.SUSPENDED_UNPAID,
                        ]
                    ),
                ),
            ),
            "site_port": settings.SITE_PORT,
        }
        return render(request, "tenants/console.html", context)


BILLING_EVENTS_SHOWN = 50


def _tenant_counts(tenant: Tenant) -> list[tuple[str, int]]:
    """The console's counters for one business (clients, staff, this month's messages)."""
    values = stats.counts_for([tenant.schema_name], zones={tenant.schema_name: tenant.time_zone})
    mine = values.get(tenant.schema_name, {})
    return [(c.label, mine.get(c.key, 0)) for c in stats.counters()]


class ConsoleTenantView(OperatorRequiredMixin, View):
    """One business: its state, what an operator may do to it now, and the log of what
    operators did to it."""

    template_name = "tenants/console_tenant.html"
    forms = {
        "suspend": SuspendForm,
        "reactivate": ReasonForm,
        "close": TypedConfirmationForm,
        "purge": TypedConfirmationForm,
        "grant_plan": GrantPlanForm,
        "extend_trial": ExtendTrialForm,
    }

    def _tenant(self, pk: int) -> Tenant:
        return get_object_or_404(
            Tenant.objects.prefetch_related("domains"), pk=pk, status__in=CONSOLE_STATUSES
        )

    def render_page(self, request, tenant: Tenant, bound=None, status: int = 200):
        forms = {name: cls(prefix=name) for name, cls in self.forms.items()}
        if bound is not None:
            forms[bound.prefix] = bound
        context = {
            "tenant": tenant,
            # Read, never made here: a page view writes nothing (None: no subscription yet).
            "subscription": Subscription.objects.select_related("plan")
            .filter(tenant_id=tenant.pk)
            .first(),
            "billing_events": tenant.billing_events.only(
                "id", "stripe_event_id", "type", "created", "outcome", "tenant_id"
            )[:BILLING_EVENTS_SHOWN],
            "forms": forms,
            "purgeable": tenant_purgeable(tenant),
            "retention_days": settings.TENANT_CLOSURE_RETENTION_DAYS,
            "log": tenant.operator_actions.all()[:100],
            "site_port": settings.SITE_PORT,
            "counts": _tenant_counts(tenant),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk: int):
        return self.render_page(request, self._tenant(pk))


class ConsoleTenantActionView(ConsoleTenantView):
    services = {
        "suspend": tenant_suspend,
        "reactivate": tenant_reactivate,
        "close": tenant_close,
        "purge": tenant_purge,
        "grant_plan": subscription_grant_plan,
        "extend_trial": subscription_extend_trial,
    }
    done = {
        "suspend": _lazy("%(name)s is suspended."),
        "reactivate": _lazy("%(name)s is active again."),
        "close": _lazy("%(name)s is closed. Its data is kept until %(until)s."),
        "purge": _lazy("The data of %(name)s is deleted."),
        "grant_plan": _lazy("%(name)s is on the plan %(plan)s."),
        "extend_trial": _lazy("The trial of %(name)s now ends on %(trial_end)s."),
    }

    def get(self, request, pk: int, action: str):
        return redirect("console_tenant", pk=pk)

    def post(self, request, pk: int, action: str):
        tenant = self._tenant(pk)
        if action == "export":
            archive = tenant_export(tenant=tenant, operator=request.user)
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            return FileResponse(
                archive,
                as_attachment=True,
                filename=f"{tenant.subdomain or tenant.schema_name}-{stamp}.zip",
                content_type="application/zip",
            )
        if action not in self.services:
            raise Http404
        form = self.forms[action](request.POST, prefix=action)
        if not form.is_valid():
            return self.render_page(request, tenant, form, status=400)
        try:
            changed = self.services[action](
                tenant=tenant, operator=request.user, **form.service_args()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.render_page(request, tenant, form, status=400)
        until = getattr(changed, "purge_after", None)
        trial_end = getattr(changed, "trial_ends_at", None)
        plan = getattr(changed, "plan", None)
        messages.success(
            request,
            self.done[action]
            % {
                "name": tenant.name,
                "until": _date(until),
                "trial_end": _date(trial_end),
                "plan": plan.name if plan is not None else "",
            },
        )
        if action == "purge":
            return redirect("console")
        return redirect("console_tenant", pk=tenant.pk)
