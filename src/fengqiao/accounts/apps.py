from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "fengqiao.accounts"
    label = "accounts"
    verbose_name = _("Users and accounts")

    def ready(self) -> None:
        from fengqiao.core import schema  # noqa: F401  (registers the token scheme with drf-spectacular)
