from django.apps import AppConfig


class HashListConfig(AppConfig):
    name = "hotline.hashlist"
    label = "hashlist"
    verbose_name = "Hash list"

    def ready(self) -> None:
        from hotline.core.health import register_health
        from hotline.hashlist.live import held_index_health

        register_health("pdq_index", held_index_health)
