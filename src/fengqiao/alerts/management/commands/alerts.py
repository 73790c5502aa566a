"""``fengqiao alerts scan|list``: the risk scan in the foreground, and the open alerts."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from fengqiao.core import context
from fengqiao.core.cli import bilingual


class Command(BaseCommand):
    help = ("Risk early warning (风险预警): 'alerts scan' runs the scan now (the worker runs it every two "
            "minutes); 'alerts list' prints the open alerts.")

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["scan", "list"], help="scan: run one scan now; list: open alerts")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, what, **options):
        if what == "scan":
            from fengqiao.alerts.scan import run

            with context.acting(None, channel="cli"):
                result = run()
            if options["json"]:
                self.stdout.write(json.dumps(result, ensure_ascii=False))
                return
            raised = sum(v for k, v in result.items() if k.endswith(":raised"))
            grown = sum(v for k, v in result.items() if k.endswith(":grown"))
            read = result.get("matters_read", 0)
            self.stdout.write(bilingual(f"读取新事项 {read} 件，新预警 {raised} 条，更新预警 {grown} 条",
                                        f"new matters read: {read}, alerts raised: {raised}, grown: {grown}"))
            return
        from fengqiao.alerts.choices import OPEN_STATES
        from fengqiao.alerts.models import RiskAlert

        rows = RiskAlert.objects.filter(state__in=list(OPEN_STATES)).select_related("area").order_by("-raised_at")
        data = [{"number": a.number, "kind": a.kind, "level": a.level, "state": a.state, "area": a.area.code,
                 "title": a.title, "matters": a.matter_count, "raised_at": a.raised_at.isoformat()} for a in rows]
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        for a in data:
            self.stdout.write(f"{a['number']}  {a['level']:<6} {a['kind']:<16} {a['area']}  {a['title']}")
