"""Calendar feeds: the public .ics behind its secret, and the page where staff make their
own link and owners and managers revoke or renew anyone's.

Who may manage other people's links: ``staff.manage`` (owners, managers). A feed is an
access token to a person's working diary, like a password; taking it away when someone
leaves or loses a phone is part of managing staff accounts, not of setting up services.
Everyone who sees the calendar may make, renew and revoke their own."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from accounts.models import User
from accounts.roles import Capability
from portal.mixins import CapabilityRequiredMixin
from scheduling import feeds, selectors
from scheduling.models import CalendarFeed

ACTIONS = ("create", "regenerate", "revoke")


class FeedView(View):
    """Public on purpose (calendar apps cannot sign in): the secret is the key. A revoked,
    unknown or other business's secret is 404."""

    def get(self, request, secret: str):
        feed = feeds.feed_for_secret(secret)
        if feed is None:
            raise Http404
        response = HttpResponse(feeds.feed_ics(feed), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="appointments.ics"'
        response["Cache-Control"] = "no-store"
        response["X-Robots-Tag"] = "noindex"
        return response


def _url(request, feed: CalendarFeed | None) -> str:
    if feed is None:
        return ""
    return request.build_absolute_uri(reverse("scheduling:feed", args=[feed.secret]))


class FeedSettingsView(CapabilityRequiredMixin, View):
    capability = Capability.VIEW_SCHEDULE

    def get(self, request):
        own = CalendarFeed.objects.filter(staff=request.user).first()
        others = []
        manages = request.user.can(Capability.MANAGE_STAFF)
        if manages:
            people = list(
                User.objects.filter(
                    Q(pk__in=selectors.bookable_staff().values("pk"))
                    | Q(calendar_feed__isnull=False)
                )
                .exclude(pk=request.user.pk)
                .distinct()
                .select_related("calendar_feed")
                .order_by("full_name", "email")
            )
            for person in people:
                feed = getattr(person, "calendar_feed", None)
                others.append((person, feed))
        context = {"own": own, "own_url": _url(request, own), "others": others, "manages": manages}
        return render(request, "scheduling/feeds/settings.html", context)


class FeedActionView(CapabilityRequiredMixin, View):
    capability = Capability.VIEW_SCHEDULE

    def post(self, request, pk: int, action: str):
        if action not in ACTIONS:
            raise Http404
        if pk != request.user.pk and not request.user.can(Capability.MANAGE_STAFF):
            raise Http404
        # A link of someone who has left can still be revoked; only new ones need an
        # active account.
        active = {} if action == "revoke" else {"is_active": True}
        staff = get_object_or_404(User, pk=pk, **active)
        if action == "create":
            feeds.feed_create(staff=staff, actor=request.user)
            messages.success(request, _("Calendar link made."))
        elif action == "regenerate":
            feeds.feed_regenerate(staff=staff, actor=request.user)
            messages.success(request, _("New calendar link made; the old one no longer works."))
        else:
            feeds.feed_revoke(staff=staff, actor=request.user)
            messages.success(request, _("Calendar link revoked."))
        return redirect(reverse("scheduling:feeds"))
