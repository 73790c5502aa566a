from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from fengqiao.web.assets import copy_vendor_assets


class Command(BaseCommand):
    help = "Copy front-end packages installed by npm (node_modules) into var/vendor for static serving."

    def add_arguments(self, parser):
        parser.add_argument("--node-modules", default=str(Path.cwd() / "node_modules"))

    def handle(self, *args, node_modules, **o):
        nm = Path(node_modules)
        if not nm.is_dir():
            raise CommandError(f"找不到 node_modules: {nm},请先运行 npm ci (run npm ci first)")
        missing = copy_vendor_assets(nm, settings.VENDOR_DIR)
        if missing:
            raise CommandError("缺少前端包文件 (missing front-end files): " + ", ".join(missing))
        self.stdout.write(f"front-end assets copied to {settings.VENDOR_DIR}")
