from django.apps import AppConfig


class HashListConfig(AppConfig):
    name = "hotline.hashlist"
    label = "hashlist"
    verbose_name = "Hash list"
