"""The REST API (DRF): routers, serializers and permissions, thin over the services."""
