"""URLs of the voting app (mounted at /voting/): pages and the JSON API."""

from django.urls import path

from voting import api
from voting.views import pages

app_name = "voting"
urlpatterns = [
    # pages (Finnish paths, as in the meetings app)
    path("kokoukset/<int:meeting_id>/asiat/<int:item_id>/", pages.item_page, name="item"),
    path("kokoukset/<int:meeting_id>/asiat/<int:item_id>/<slug:action>/", pages.item_post,
         name="item_action"),
    path("kokoukset/<int:meeting_id>/ehdotukset/<int:proposal_id>/<slug:action>/",
         pages.proposal_post, name="proposal_action"),
    path("kokoukset/<int:meeting_id>/aanestykset/<int:vote_id>/", pages.vote_page, name="vote"),
    path("kokoukset/<int:meeting_id>/aanestykset/<int:vote_id>/<slug:action>/", pages.vote_post,
         name="vote_action"),
    path("kokoukset/<int:meeting_id>/vaalit/<int:election_id>/", pages.election_page,
         name="election"),
    path("kokoukset/<int:meeting_id>/vaalit/<int:election_id>/<slug:action>/",
         pages.election_post, name="election_action"),
    # JSON API
    path("api/meetings/<int:meeting_id>/open/", api.open_state, name="api_open"),
    path("api/meetings/<int:meeting_id>/items/<int:item_id>/", api.item_state, name="api_item"),
    path("api/meetings/<int:meeting_id>/votes/<int:vote_id>/", api.vote_state, name="api_vote"),
    path("api/meetings/<int:meeting_id>/elections/<int:election_id>/", api.election_state,
         name="api_election"),
    path("api/meetings/<int:meeting_id>/<slug:resource>/<int:obj_id>/<slug:action>/",
         api.action, name="api_action"),
]
