from django.urls import path

from news.views import items

app_name = "news"

urlpatterns = [
    path("news/", items.news_list, name="list"),
    path("news/<int:pk>/", items.news_detail, name="detail"),
    path("news/<int:pk>/read/", items.news_read, name="read"),
    path("news/<int:pk>/favourite/", items.news_favourite, name="favourite"),
    path("favourites/", items.favourites, name="favourites"),
    path("categories/<slug:value>/", items.category_detail, name="category"),
]
