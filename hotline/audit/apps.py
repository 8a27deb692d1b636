from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "hotline.audit"
    label = "audit"
    verbose_name = "Audit log"
