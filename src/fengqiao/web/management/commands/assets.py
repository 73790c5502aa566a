"""``fengqiao assets``: the front-end packages npm installed, copied for static serving."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from fengqiao.core.cli import bilingual, command_error
from fengqiao.web.assets import copy_vendor_assets


class Command(BaseCommand):
    help = "Copy front-end packages installed by npm (node_modules) into var/vendor for static serving."

    def add_arguments(self, parser):
        parser.add_argument("--node-modules", default=str(Path.cwd() / "node_modules"))

    def handle(self, *args, node_modules, **o):
        nm = Path(node_modules)
        if not nm.is_dir():
            raise command_error(f"找不到 node_modules: {nm}，请先运行 npm ci",
                                f"node_modules not found: {nm}; run npm ci first")
        missing = copy_vendor_assets(nm, settings.VENDOR_DIR)
        if missing:
            names = ", ".join(missing)
            raise command_error(f"缺少前端包文件: {names}，请运行 npm ci",
                                f"missing front-end files: {names}; run npm ci")
        self.stdout.write(bilingual(f"前端资源已复制到 {settings.VENDOR_DIR}",
                                    f"front-end assets copied to {settings.VENDOR_DIR}"))
