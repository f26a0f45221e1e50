"""Public routes: the secret Atom feed URL and the OPML download. Mounted at the site root."""

from django.urls import path

from feeds import views

app_name = "feeds"

urlpatterns = [
    path("feeds/<str:secret>/atom.xml", views.atom, name="atom"),
    path("sources.opml", views.sources_opml, name="sources_opml"),
]
