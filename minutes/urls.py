"""URLs of the minutes app (root: ``/minutes/``). Public minutes live at the stable address
``julkinen/<kunta>/<toimielin>/<kokous>/`` (KL 140 §, R52)."""

from django.urls import path

from minutes import views

app_name = "minutes"
urlpatterns = [
    path("kokous/<int:meeting_id>/", views.minutes_page, name="page"),
    path("kokous/<int:meeting_id>/muodosta/", views.build, name="build"),
    path("kokous/<int:meeting_id>/teksti/", views.narrative, name="narrative"),
    path("kokous/<int:meeting_id>/tarkastajat/", views.assign_checker, name="assign_checker"),
    path("kokous/<int:meeting_id>/hyvaksy/", views.approve, name="approve"),
    path("kokous/<int:meeting_id>/huomauta/", views.comment, name="comment"),
    path("kokous/<int:meeting_id>/allekirjoita/", views.sign, name="sign"),
    path("kokous/<int:meeting_id>/varmenna/", views.attest, name="attest"),
    path("kokous/<int:meeting_id>/julkaise/", views.publish, name="publish"),
    path("kokous/<int:meeting_id>/peitto/", views.add_redaction, name="add_redaction"),
    path("kokous/<int:meeting_id>/muodostus/", views.render_draft, name="render_draft"),
    path("kokous/<int:meeting_id>/muodostus/tila/", views.render_progress,
         name="render_progress"),
    path("kokous/<int:meeting_id>/poytakirja.pdf", views.signed_pdf, name="signed_pdf"),
    path("julkinen/<slug:municipality>/<slug:body>/", views.public_list, name="public_list"),
    path("julkinen/<slug:municipality>/<slug:body>/<int:meeting_id>/",
         views.public_minutes, name="public_minutes"),
    path("julkinen/<slug:municipality>/<slug:body>/<int:meeting_id>/poytakirja.pdf",
         views.public_pdf, name="public_pdf"),
]
