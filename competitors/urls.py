from django.urls import path

from competitors import views

app_name = "competitors"

urlpatterns = [
    path("companies/", views.company_list, name="list"),
    path("companies/add/", views.company_add, name="add"),
    path("companies/add/confirm/", views.company_add_confirm, name="add_confirm"),
    path("companies/<slug:slug>/", views.company_detail, name="detail"),
    path("companies/<slug:slug>/follow/", views.company_follow, name="follow"),
]
