from django.urls import path

from participants import correction_views, register_views, request_views, views

app_name = "participants"

urlpatterns = [
    path("", views.participant_list, name="list"),
    path("waiting/", views.waiting_list, name="waiting_list"),
    path("new/", views.referral_create, name="referral_create"),
    path("import/", views.import_upload, name="import"),
    path("import/confirm/", views.import_confirm, name="import_confirm"),
    path("follow-up-90/", views.followup90_list, name="followup90_list"),
    path("follow-up-90/<int:pk>/", views.followup90_edit, name="followup90_edit"),
    path("follow-up-6m/", views.followup6m_list, name="followup6m_list"),
    path("follow-up-6m/<int:pk>/", views.followup6m_edit, name="followup6m_edit"),
    path("survey/<str:token>/", views.survey, name="survey"),
    path("<int:pk>/", views.participant_detail, name="detail"),
    path("<int:pk>/register-extract.pdf", register_views.register_extract, name="register_extract"),
    path("<int:pk>/correct/", register_views.participant_correct, name="correct"),
    path("<int:pk>/erase/", register_views.participant_erase, name="erase"),
    path("<int:pk>/consent/", correction_views.consent_record, name="consent_record"),
    path("<int:pk>/consent/withdraw/", correction_views.consent_withdraw, name="consent_withdraw"),
    path("request-placement/<int:pk>/", request_views.request_for_placement, name="request_for_placement"),
    path("starts/<int:pk>/correct/", correction_views.referral_correct, name="referral_correct"),
    path("exits/<int:pk>/correct/", correction_views.exit_correct, name="exit_correct"),
    path("follow-ups/<int:pk>/correct/", correction_views.follow_up_correct, name="follow_up_correct"),
    path("plan-steps/<int:pk>/correct/", correction_views.plan_step_correct, name="plan_step_correct"),
    path("competences/<int:pk>/correct/", correction_views.competence_correct, name="competence_correct"),
    path("starts/<int:pk>/assessment/", views.assessment_edit, name="assessment"),
    path("starts/<int:pk>/matching/", views.matching, name="matching"),
    path("starts/<int:pk>/request/", views.placement_request, name="request"),
    path("starts/<int:pk>/follow-ups/new/", views.follow_up_create, name="follow_up_create"),
    path("starts/<int:pk>/plan/new/", views.plan_step_create, name="plan_step_create"),
    path("starts/<int:pk>/competences/new/", views.competence_create, name="competence_create"),
    path("starts/<int:pk>/competence-card.pdf", views.competence_card_pdf, name="competence_card"),
    path("starts/<int:pk>/exit/", views.exit_create, name="exit"),
    path("exits/<int:pk>/survey-link/", views.survey_link, name="survey_link"),
    path("plan-steps/<int:pk>/done/", views.plan_step_done, name="plan_step_done"),
    path("assignments/<int:pk>/start/", views.assignment_start, name="assignment_start"),
    path("assignments/<int:pk>/complete/", views.assignment_complete, name="assignment_complete"),
    path("assignments/<int:pk>/withdraw/", views.assignment_withdraw, name="assignment_withdraw"),
]
