from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "hotline.cases"
    label = "cases"
    verbose_name = "Cases"
