from django.core.management.base import BaseCommand, CommandError

from fengqiao.core import audit
from fengqiao.core.models import AuditRecord


class Command(BaseCommand):
    help = "Audit trail: 'verify' checks the hash chain; 'seal' seals new records; 'tail' shows the latest."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="sub", required=True)
        verify = sub.add_parser("verify", help="seal pending records, then verify the whole chain")
        verify.add_argument("--no-seal", action="store_true",
                            help="verify as found: records not yet sealed are checked and counted")
        sub.add_parser("seal", help="seal records written since the last seal into the chain")
        tail = sub.add_parser("tail", help="show the latest records")
        tail.add_argument("-n", type=int, default=20)

    def handle(self, *args, sub=None, **opts):
        if sub == "seal":
            n = audit.seal()
            self.stdout.write(f"sealed {n} records (已封存 {n} 条)")
            return
        if sub == "verify":
            if not opts.get("no_seal"):
                audit.seal()
            result = audit.verify()
            if result.ok:
                pending = f", {result.pending} not yet sealed (待封存 {result.pending} 条)" if result.pending else ""
                self.stdout.write(f"audit trail intact: {result.checked} records (审计日志完整){pending}")
                return
            raise CommandError(
                f"audit trail broken at record seq={result.first_bad_seq} id={result.first_bad_id}: {result.reason} "
                f"(审计日志被篡改: 第 {result.first_bad_seq} 条)"
            )
        for rec in AuditRecord.objects.order_by("-id")[: opts["n"]]:
            self.stdout.write(f"{rec.seq or '-'}\t{rec.at:%Y-%m-%d %H:%M:%S}\t{rec.actor_username or '-'}\t{rec.action}\t{rec.object_type}:{rec.object_id}\t{rec.object_repr}")
