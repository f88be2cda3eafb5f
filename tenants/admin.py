from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tenants.models import Domain, OperatorAction, Tenant
from tenants.services import STATUS_FIELDS

# Status, closing and purging go through the operator console's services (typed
# confirmation, reason, operator log); the admin only shows them (STATUS_FIELDS).


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("name", "business_type", "status", "schema_name", "created_at")
    list_filter = ("status", "business_type")
    search_fields = ("name", "schema_name", "domains__domain")
    readonly_fields = (
        "schema_name",
        "created_at",
        "activated_at",
        *STATUS_FIELDS,
        "console_link",
    )
    inlines = [DomainInline]

    @admin.display(description=_("status changes"))
    def console_link(self, obj):
        if obj.pk is None:
            return ""
        return format_html(
            '<a href="{}">{}</a>',
            reverse("console_tenant", args=[obj.pk]),
            _("Suspend, reactivate, close or purge in the operator console"),
        )

    def has_add_permission(self, request):
        # Businesses come from signup (claiming a migrated spare schema).
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OperatorAction)
class OperatorActionAdmin(admin.ModelAdmin):
    list_display = ("at", "tenant_name", "domain", "kind", "operator_email", "reason")
    list_filter = ("kind",)
    search_fields = ("tenant_name", "domain", "operator_email", "reason")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
