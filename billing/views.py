"""The operator console's plan pages: the list, a new plan, editing one, withdrawing one."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from billing.forms import PlanForm
from billing.models import Plan, PlanPrice
from billing.services import plan_deactivate, plan_save
from core.forms import add_service_errors
from tenants.views import OperatorRequiredMixin


class PlanListView(OperatorRequiredMixin, View):
    def get(self, request):
        # Meta.ordering does not apply to a GROUP BY query: order explicitly.
        plans = (
            Plan.objects.prefetch_related(
                Prefetch("prices", queryset=PlanPrice.objects.order_by("currency"))
            )
            .annotate(subscribers=Count("subscriptions"))
            .order_by("ordering", "id")
        )
        return render(request, "billing/console_plans.html", {"plans": plans})


class PlanEditView(OperatorRequiredMixin, View):
    """A new plan (no ``pk``) or an existing one."""

    template_name = "billing/console_plan_form.html"

    def _plan(self, pk: int | None) -> Plan | None:
        return get_object_or_404(Plan, pk=pk) if pk is not None else None

    def _render(self, request, plan, form, status=200):
        return render(request, self.template_name, {"plan": plan, "form": form}, status=status)

    def get(self, request, pk: int | None = None):
        plan = self._plan(pk)
        return self._render(request, plan, PlanForm(instance=plan))

    def post(self, request, pk: int | None = None):
        plan = self._plan(pk)
        form = PlanForm(request.POST, instance=plan)
        if not form.is_valid():
            return self._render(request, plan, form, status=400)
        try:
            saved = plan_save(plan=plan, operator=request.user, **form.service_args())
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self._render(request, plan, form, status=400)
        messages.success(request, _("The plan “%(name)s” is saved.") % {"name": saved.name})
        return redirect("console_plans")


class PlanDeactivateView(OperatorRequiredMixin, View):
    def get(self, request, pk: int):
        return redirect("console_plan", pk=pk)

    def post(self, request, pk: int):
        plan = get_object_or_404(Plan, pk=pk)
        try:
            plan_deactivate(plan=plan, operator=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("console_plan", pk=plan.pk)
        messages.success(
            request,
            _("“%(name)s” is no longer offered; businesses on it keep it.") % {"name": plan.name},
        )
        return redirect("console_plans")


# Stripe calls this server to server: no browser, no session cookie, so no CSRF token to
# check; what authenticates the call is Stripe's HMAC signature, verified before anything
# is read or written (billing.sync.handle_event). The answers are fixed plain-text words.
@method_decorator(csrf_exempt, name="dispatch")
class StripeWebhookView(View):
    """Stripe's webhook calls (public host). 404 with billing off; 400 with a short reason
    for a bad signature or a malformed body; 200 for everything else, including events
    that change nothing (a replay, an unknown type), so Stripe stops retrying them."""

    http_method_names = ["post"]

    def post(self, request):
        from billing.sync import WebhookRefused, handle_event

        if not (settings.BILLING_ENABLED and settings.STRIPE_WEBHOOK_SECRET):
            raise Http404
        try:
            handle_event(request.body, request.headers.get("Stripe-Signature", ""))
        except WebhookRefused as exc:
            return HttpResponseBadRequest(exc.reason, content_type="text/plain")
        return HttpResponse("ok", content_type="text/plain")
