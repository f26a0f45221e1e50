"""REST API routes of this app, mounted under /api/v1/ by config/api_router.py."""

from django.urls import URLPattern, URLResolver, path

from news.api import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("news/", views.NewsListView.as_view(), name="news-list"),
    path("news/stats/", views.NewsStatsView.as_view(), name="news-stats"),
    path("news/favourites/", views.FavouritesView.as_view(), name="news-favourites"),
    path("news/<int:pk>/", views.NewsDetailView.as_view(), name="news-detail"),
    path("news/<int:pk>/read/", views.NewsReadView.as_view(), name="news-read"),
    path("news/<int:pk>/favourite/", views.NewsFavouriteView.as_view(), name="news-favourite"),
    path("categories/", views.CategoryListView.as_view(), name="categories-list"),
]
