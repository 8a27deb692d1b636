from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "hotline.accounts"
    label = "accounts"
    verbose_name = "Staff accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from hotline.accounts.sessions import start_session_clock

        user_logged_in.connect(start_session_clock, dispatch_uid="hotline-session-clock")
