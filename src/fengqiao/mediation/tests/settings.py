"""Private settings for running this app's tests before it is wired into the project."""

from fengqiao.settings.test import *  # noqa: F403
from fengqiao.settings.test import INSTALLED_APPS

if "fengqiao.mediation" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "fengqiao.mediation"]
ROOT_URLCONF = "fengqiao.mediation.tests.urls"
