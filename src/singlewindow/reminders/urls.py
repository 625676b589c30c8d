from django.urls import path

from . import views

app_name = "reminders"
urlpatterns = [
    path("", views.run_list, name="runs"),
    path("new/", views.new_run, name="new"),
    path("<int:pk>/", views.run_detail, name="run"),
    path("<int:pk>/resume/", views.run_resume, name="resume"),
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_new, name="template_new"),
    path("templates/<int:pk>/", views.template_edit, name="template_edit"),
    path("schedules/", views.schedule_list, name="schedules"),
    path("schedules/<int:scheme_id>/", views.schedule_edit, name="schedule_edit"),
]
