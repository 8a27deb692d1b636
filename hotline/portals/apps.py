from django.apps import AppConfig


class PortalsConfig(AppConfig):
    name = "hotline.portals"
    label = "portals"
    verbose_name = "Portals"
