from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriageConfig(AppConfig):
    name = "fengqiao.triage"
    label = "triage"
    verbose_name = _("Triage")

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from fengqiao.areas.models import Area
        from fengqiao.events.models import Category

        from . import jobs, models  # noqa: F401  (jobs: registers the nightly retraining with huey)

        def drop_caches(sender, **kwargs):  # cache invalidation is a cross-cutting concern
            from . import service

            service.invalidate()

        def drop_model(sender, **kwargs):
            from . import service

            service.invalidate_model()

        for model in (Area, Category, models.PlaceName, models.KeywordRule, models.RoutingRule):
            post_save.connect(drop_caches, sender=model, dispatch_uid=f"triage-cache-{model.__name__}", weak=False)
            post_delete.connect(drop_caches, sender=model, dispatch_uid=f"triage-cache-del-{model.__name__}", weak=False)
        m2m_changed.connect(drop_caches, sender=models.RoutingRule.cohandlers.through,
                            dispatch_uid="triage-cache-cohandlers", weak=False)
        post_save.connect(drop_model, sender=models.ModelVersion, dispatch_uid="triage-model", weak=False)
