from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as accounts_views
from config.metrics import views as metrics_views
from news.views import dashboard

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("", include("news.urls")),
    path("", include("competitors.urls")),
    path("", include("feeds.urls")),
    path("settings/", include("accounts.settings_urls")),
    path("digests/", include("digests.urls")),
    path("notifications/", include("digests.notification_urls")),
    path("telegram/", include("telegram_bot.urls")),
    path("accounts/", include("accounts.urls")),
    path("i18n/setlang/", accounts_views.set_language, name="set_language"),
    path("api/v1/", include("config.api_router")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view loads its start-up script from a URL, so the strict CSP holds.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
    path("admin/", admin.site.urls),
    path("metrics", metrics_views.metrics, name="metrics"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.STATIC_URL, document_root=settings.STATIC_ROOT)

handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
