"""URLs of the audit app, under `/audit/` (paths fixed by the spec, section 5)."""

from django.urls import path

from audit import views

app_name = "audit"
urlpatterns = [
    path("", views.index, name="index"),
    path("key", views.key, name="key"),
    path("checkpoint", views.checkpoint, name="checkpoint"),
    path("entries", views.entries, name="entries"),
    path("proof/inclusion", views.inclusion_proof, name="inclusion_proof"),
    path("proof/consistency", views.consistency_proof, name="consistency_proof"),
    path("export.zip", views.download, name="download"),
]
