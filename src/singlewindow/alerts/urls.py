from django.urls import path, re_path

from . import insurer_views, views

app_name = "alerts"
urlpatterns = [
    # the enterprise's
    path("", views.alert_list, name="list"),
    path("archive/", views.archive, name="archive"),
    path("<int:pk>/", views.alert_detail, name="detail"),
    re_path(r"^countries/(?P<code>[A-Za-z]{2})/$", views.country, name="country"),  # enterprises and insurers
    # the insurer's
    path("manage/", insurer_views.manage, name="manage"),
    path("manage/new/", insurer_views.create, name="new"),
    path("manage/<int:pk>/", insurer_views.manage_detail, name="manage_detail"),
    path("manage/<int:pk>/edit/", insurer_views.edit, name="edit"),
    path("manage/<int:pk>/publish/", insurer_views.publish, name="publish"),
    path("manage/<int:pk>/withdraw/", insurer_views.withdraw, name="withdraw"),
]
