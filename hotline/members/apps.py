from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "hotline.members"
    label = "members"
    verbose_name = "Members"
