from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "hotline.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes"
