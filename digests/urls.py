from django.urls import path

from digests import views

app_name = "digests"

urlpatterns = [
    path("", views.digest_history, name="history"),
    path("<int:pk>/", views.digest_detail, name="detail"),
    path("send/", views.digest_send, name="send"),
    path("preview/", views.digest_preview_page, name="preview"),
]
