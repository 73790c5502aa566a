"""The default rules and escalation-language list (预警词), written by us, edited by admins after.

The words are what a county centre must not miss (threats of violence or self-harm, mass
action), leaving out words complaints use for ordinary hazards: 威胁 (严重威胁居民安全), 堵路
(车辆堵路), 聚集, plain 上访. Harmless phrases containing a trigger (跳楼价, 秒杀, 聚众赌博) are
ignored. ``benchmarks/alerts_scan.py`` counts how often each word fires on the real TipDM messages.
The rules repeat ``alerts.scan.DEFAULT_RULES`` as they were when this was written: a migration
must not follow later edits."""

from django.db import migrations

RULES = [
    # kind, window_days, threshold, level, note
    ("language", 1, 1, "orange", "预警词见“预警词”表;等级取命中词的最高等级"),
    ("repeat_reporter", 30, 3, "yellow", "同一电话或身份证号,群众渠道"),
    ("hot_topic", 7, 3, "yellow", "同一事项识别(得分≥0.55)与人工合并"),
    ("spike", 28, 5, "yellow", "近24小时对比前28天日均(泊松检验),至少5件"),
    ("reopened", 90, 2, "orange", "群众不满意重办次数"),
    ("long_dispute", 30, 7, "yellow", "调解超期天数"),
]

RED = ("杀人", "杀了他", "杀了你", "杀了他们", "砍死", "捅死", "弄死", "同归于尽", "自焚", "跳楼", "跳河", "喝农药",
       "自杀", "不想活了", "炸药", "汽油瓶", "报复社会", "灭门", "血洗", "以死相逼", "上吊")
ORANGE = ("报复", "拼命", "打死", "打人", "持刀", "拿刀", "扬言", "恐吓", "围堵", "集体上访", "进京上访", "越级上访",
          "聚众", "聚集闹事", "拉横幅", "闹事", "砸车", "砸店", "放火", "纵火")
YELLOW = ("媒体曝光", "网上曝光", "投诉无门", "忍无可忍", "走投无路", "出人命", "讨说法", "找媒体")
IGNORE = ("跳楼价", "跳楼甩卖", "跳楼大甩卖", "秒杀", "杀价", "杀虫", "杀菌", "消杀", "报复性消费", "拼命工作", "打人员",
          "防止出人命", "聚众赌博", "打死老虎", "打死我都", "电打死")


def seed(apps, schema_editor):
    RiskRule = apps.get_model("alerts", "RiskRule")
    RiskTerm = apps.get_model("alerts", "RiskTerm")
    for kind, window, threshold, level, note in RULES:
        RiskRule.objects.get_or_create(kind=kind, defaults={"window_days": window, "threshold": threshold,
                                                            "level": level, "note": note})
    rows = [(p, "trigger", "red") for p in RED] + [(p, "trigger", "orange") for p in ORANGE]
    rows += [(p, "trigger", "yellow") for p in YELLOW] + [(p, "ignore", "yellow") for p in IGNORE]
    for phrase, kind, level in rows:
        RiskTerm.objects.get_or_create(phrase=phrase, defaults={"kind": kind, "level": level})


class Migration(migrations.Migration):
    # the seed rows are audited like any save: the audit table must exist first
    dependencies = [("alerts", "0001_risk_alerts"), ("core", "0003_audit_head_sealed")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
