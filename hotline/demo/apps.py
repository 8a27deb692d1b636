from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for `make run` and the browser tests. The top layer: it may use every app."""

    name = "hotline.demo"
    label = "demo"
    verbose_name = "Demo data"
