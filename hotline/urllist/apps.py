from django.apps import AppConfig


class UrlListConfig(AppConfig):
    name = "hotline.urllist"
    label = "urllist"
    verbose_name = "URL list"
