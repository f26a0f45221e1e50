from django.urls import path

from competitors import compare_exports, compare_views, landscape_views, views

app_name = "competitors"

urlpatterns = [
    path("companies/", views.company_list, name="list"),
    path("companies/add/", views.company_add, name="add"),
    path("companies/add/confirm/", views.company_add_confirm, name="add_confirm"),
    path("companies/<slug:slug>/", views.company_detail, name="detail"),
    path("companies/<slug:slug>/follow/", views.company_follow, name="follow"),
    path("landscape/", landscape_views.landscape, name="landscape"),
    path("compare/", compare_views.compare, name="compare"),
    path("compare/themes/", compare_views.compare_themes, name="compare_themes"),
    path("compare/print/", compare_views.compare_print, name="compare_print"),
    path("compare/export.csv", compare_exports.compare_export_csv, name="compare_export_csv"),
    path("compare/export.json", compare_exports.compare_export_json, name="compare_export_json"),
    path("compare/saved/", compare_views.saved_comparisons, name="compare_saved"),
    path(
        "compare/saved/<int:pk>/delete/",
        compare_views.saved_comparison_delete,
        name="compare_saved_delete",
    ),
]
