"""URLs of the meetings app: public pages, the member dashboard, secretary and chair tools."""

from django.urls import path

from meetings.views import attendance, home, items, meetings, public

app_name = "meetings"
urlpatterns = [
    path("", home.public_home, name="public_home"),
    path("oma/", home.dashboard, name="dashboard"),
    # public (no login): published agendas (KL 29.2 §, R27)
    path("julkinen/kokoukset/", public.public_meetings, name="public_meetings"),
    path("julkinen/kokoukset/<int:meeting_id>/", public.public_agenda, name="public_agenda"),
    path("julkinen/kokoukset/<int:meeting_id>/esityslista.pdf", public.public_agenda_pdf,
         name="public_agenda_pdf"),
    path("julkinen/liitteet/<int:attachment_id>/", public.public_attachment,
         name="public_attachment"),
    path("kieli/", public.choose_language, name="choose_language"),  # visitors (F5)
    # meetings
    path("kokoukset/uusi/", meetings.meeting_create, name="meeting_create"),
    path("kokoukset/<int:meeting_id>/", meetings.meeting_detail, name="meeting_detail"),
    path("kokoukset/<int:meeting_id>/muokkaa/", meetings.meeting_edit, name="meeting_edit"),
    path("kokoukset/<int:meeting_id>/esityslista/", meetings.agenda, name="agenda"),
    path("kokoukset/<int:meeting_id>/kokouskutsu.pdf", meetings.agenda_pdf, name="agenda_pdf"),
    path("kokoukset/<int:meeting_id>/kutsu/", meetings.send_notice, name="send_notice"),
    path("kokoukset/<int:meeting_id>/avaa/", meetings.open_meeting, name="open_meeting"),
    path("kokoukset/<int:meeting_id>/keskeyta/", meetings.suspend_meeting, name="suspend_meeting"),
    path("kokoukset/<int:meeting_id>/jatka/", meetings.resume_meeting, name="resume_meeting"),
    path("kokoukset/<int:meeting_id>/paata/", meetings.close_meeting, name="close_meeting"),
    path("kokoukset/<int:meeting_id>/este/", attendance.own_absence, name="own_absence"),
    path("kokoukset/<int:meeting_id>/asiat/uusi/", items.item_create, name="item_create"),
    # attendance
    path("kokoukset/<int:meeting_id>/lasnaolo/", attendance.attendance, name="attendance"),
    path("kokoukset/<int:meeting_id>/lasnaolo/nimenhuuto/", attendance.roll_call,
         name="roll_call"),
    path("kokoukset/<int:meeting_id>/paatosvaltaisuus.json", attendance.quorum_json,
         name="quorum_json"),
    path("kokoukset/<int:meeting_id>/lasnaolo/<int:participant_id>/saapui/",
         attendance.check_in, name="check_in"),
    path("kokoukset/<int:meeting_id>/lasnaolo/<int:participant_id>/poistui/",
         attendance.check_out, name="check_out"),
    path("kokoukset/<int:meeting_id>/lasnaolo/<int:participant_id>/tunnistettu/",
         attendance.confirm_identity, name="confirm_identity"),
    path("kokoukset/<int:meeting_id>/lasnaolo/<int:participant_id>/este/",
         attendance.absence, name="absence"),
    path("kokoukset/<int:meeting_id>/lasnaolo/<int:participant_id>/varajasen/",
         attendance.invite_substitute, name="invite_substitute"),
    path("kokoukset/<int:meeting_id>/lasnaolo/<int:participant_id>/vapauta/",
         attendance.release_substitute, name="release_substitute"),
    # items
    path("asiat/<int:item_id>/", items.item_detail, name="item_detail"),
    path("asiat/<int:item_id>/muokkaa/", items.item_edit, name="item_edit"),
    path("asiat/<int:item_id>/ehdotus/", items.proposal_add, name="proposal_add"),
    path("asiat/<int:item_id>/liitteet/", items.attachment_upload, name="attachment_upload"),
    path("asiat/<int:item_id>/poista/", items.item_withdraw, name="item_withdraw"),
    path("asiat/<int:item_id>/kanta/", items.e_answer, name="e_answer"),
    path("asiat/<int:item_id>/esteellisyys/", items.declare_disqualification,
         name="declare_disqualification"),
    path("asiat/<int:item_id>/esteellisyys/<int:disqualification_id>/paatos/",
         items.decide_disqualification, name="decide_disqualification"),
    path("asiat/<int:item_id>/varajasen/<int:participant_id>/", items.item_substitute,
         name="item_substitute"),
    path("asiat/<int:item_id>/tila/<slug:event>/", items.item_transition, name="item_transition"),
    path("liitteet/<int:attachment_id>/", items.attachment_download, name="attachment_download"),
    path("liitteet/<int:attachment_id>/nayta/", items.attachment_view, name="attachment_view"),
]
