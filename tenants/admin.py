from django.contrib import admin

from tenants.models import Domain, Tenant


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("name", "business_type", "status", "schema_name", "created_at")
    list_filter = ("status", "business_type")
    search_fields = ("name", "schema_name", "domains__domain")
    readonly_fields = ("schema_name", "created_at", "activated_at", "suspended_at")
    inlines = [DomainInline]
