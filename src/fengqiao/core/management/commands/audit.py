import io
import os
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fengqiao.core import audit
from fengqiao.core.cli import command_error
from fengqiao.core.models import AuditRecord


class Command(BaseCommand):
    help = "Audit trail: 'verify' checks the hash chain; 'seal' seals new records; 'tail' shows the latest."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="sub", required=True)
        verify = sub.add_parser("verify", help="seal pending records, then verify the whole chain")
        verify.add_argument("--no-seal", action="store_true",
                            help="verify as found: records not yet sealed are checked and counted")
        sub.add_parser("seal", help="seal records written since the last seal into the chain")
        tail = sub.add_parser("tail", help="show the latest records, newest first",
                              description="Show the latest audit records, newest first: sequence number "
                                          "('-' while not yet sealed), time in the server's time zone "
                                          "(TIME_ZONE) with its offset, who acted (or the channel in "
                                          "parentheses when nobody signed in did), action, object.")
        tail.add_argument("-n", default="20", metavar="N", help="how many records (1 or more; default 20)")

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
                head = audit.head()
                if head is not None:
                    # kept outside the database (an operations log), this line shows a wipe of
                    # the whole trail, which the keyed chain alone cannot (ADR 0004)
                    self.stdout.write(f"chain head: seq {head.last_seq}, link {head.last_hash} (链头)")
                return
            raise CommandError(
                f"audit trail broken at record seq={result.first_bad_seq} id={result.first_bad_id}: {result.reason} "
                f"(审计日志被篡改: 第 {result.first_bad_seq} 条)"
            )
        self.tail(opts["n"])

    #: who acted, for records without a signed-in user: the channel the change came through
    NO_ACTOR = {"cli": "(command line)", "worker": "(worker)", "system": "(system)", "web": "(anonymous web)",
                "api": "(anonymous api)"}

    def tail(self, n) -> None:
        try:
            count = int(n)
        except (TypeError, ValueError):
            count = 0
        if count < 1:
            raise command_error(f"-n 应为不小于 1 的整数: {n!r}", f"-n must be a whole number of at least 1: {n!r}")
        try:
            for rec in AuditRecord.objects.order_by("-id")[:count]:
                at = timezone.localtime(rec.at).isoformat(sep=" ", timespec="seconds")
                actor = rec.actor_username or self.NO_ACTOR.get(rec.channel, f"({rec.channel or 'system'})")
                self.stdout.write(f"{rec.seq or '-'}\t{at}\t{actor}\t{rec.action}\t"
                                  f"{rec.object_type}:{rec.object_id}\t{rec.object_repr}")
            self.stdout.flush()
        except BrokenPipeError:
            # the reader stopped (… | head): exit quietly, and let nothing more reach the pipe
            if getattr(self, "_called_from_command_line", False):
                try:
                    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                except (OSError, ValueError, io.UnsupportedOperation):
                    pass
