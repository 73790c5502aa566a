from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "fengqiao.accounts"
    label = "accounts"

    def ready(self) -> None:
        from fengqiao.core import schema  # noqa: F401  (registers the token scheme with drf-spectacular)
