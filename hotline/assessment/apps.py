from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "hotline.assessment"
    label = "assessment"
    verbose_name = "Assessment"
