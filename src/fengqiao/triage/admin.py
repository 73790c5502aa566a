"""Admin pages of triage (智能研判): the rules and place names an administrator edits, the model
versions with their figures, and, read-only, what triage and the operators recorded (results,
labels, activations)."""

from __future__ import annotations

import json
import re

from django import forms
from django.contrib import admin, messages
from django.db.models import FloatField, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from fengqiao.events.models import Category

from .models import (
    CategoryLabel,
    KeywordRule,
    ModelActivation,
    ModelVersion,
    PlaceName,
    RoutingRule,
    TriageResult,
)
from .training import MIN_HELDOUT_TO_ACTIVATE

# ---------------------------------------------------------------- rule forms

#: what separates keywords typed in the admin's box: commas (half- and full-width), the
#: enumeration comma 、, semicolons (both widths) and new lines
KEYWORD_SEPARATORS = re.compile(r"[,，、;；\r\n]+")
#: how the box and the list show a rule's keywords (a separator the box reads back)
KEYWORD_JOINER = "、"
#: the longest keyword the box takes (the seeded ones have at most 6 characters)
MAX_KEYWORD_LENGTH = 50


def split_keywords(text: str) -> list[str]:
    """The keywords of a text typed in the admin: split at :data:`KEYWORD_SEPARATORS`, blanks
    stripped, empty pieces and repeats (ignoring case, as the rules match) left out, in the
    order typed."""
    seen: set[str] = set()
    words = []
    for piece in KEYWORD_SEPARATORS.split(text or ""):
        word = piece.strip()
        if word and word.lower() not in seen:
            seen.add(word.lower())
            words.append(word)
    return words


class KeywordsField(forms.CharField):
    """The keyword list (a JSON list in the database) as a plain text box: ``噪声,石料厂``,
    ``噪声、石料厂`` or one keyword a line; shown joined with 、."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 60})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return KEYWORD_JOINER.join(str(v) for v in value)
        return value

    def to_python(self, value):
        return split_keywords(super().to_python(value))

    def validate(self, value):
        if not value:
            raise forms.ValidationError("请至少填写一个关键词 / enter at least one keyword", code="required")
        for word in value:
            if len(word) > MAX_KEYWORD_LENGTH:
                raise forms.ValidationError(
                    f"关键词不能超过 {MAX_KEYWORD_LENGTH} 个字:{word[:20]}… / a keyword may have at most "
                    f"{MAX_KEYWORD_LENGTH} characters: {word[:20]}…", code="max_length")

    def has_changed(self, initial, data):
        return self.prepare_value(initial or []) != self.prepare_value(self.to_python(data))


class CategoryChoiceField(forms.ModelChoiceField):
    """A category from a list of the active ones in tree order, indented by depth."""

    def label_from_instance(self, obj):
        label = "\u3000" * obj.depth + obj.name
        return label if obj.is_active else _("%(category)s (inactive)") % {"category": label}


def category_choices(current_id: int | None):
    """The active categories by path, and the current one even when it has been switched off
    (so an existing rule still shows and saves what it has)."""
    active = Q(is_active=True)
    if current_id:
        active |= Q(pk=current_id)
    return Category.objects.filter(active).order_by("path")


class _CategoryFormMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        field.queryset = category_choices(self.instance.category_id if self.instance else None)


class KeywordRuleForm(_CategoryFormMixin, forms.ModelForm):
    keywords = KeywordsField(
        label=_("keywords"),
        help_text=_("Separate keywords with commas, 、, semicolons or new lines, e.g. 噪声、石料厂. Blanks and "
                    "repeats are left out."))

    class Meta:
        model = KeywordRule
        fields = ["category", "keywords", "weight", "is_active", "note"]
        field_classes = {"category": CategoryChoiceField}


class RoutingRuleForm(_CategoryFormMixin, forms.ModelForm):
    class Meta:
        model = RoutingRule
        fields = ["name", "category", "include_subcategories", "area_level", "area", "target_level", "department",
                  "cohandlers", "priority", "is_active"]
        field_classes = {"category": CategoryChoiceField}


def keywords_in_use() -> tuple[int, str]:
    """``(level, text)`` of the keyword-rule list's notice: whether the rules classify new
    matters now. They do when no category model is active, or when the active one cannot be
    used (its file missing, altered or damaged), exactly as ``service.classify`` decides."""
    from .models import ModelKind
    from .service import active_model

    active = ModelVersion.objects.filter(kind=ModelKind.CATEGORY, is_active=True).first()
    if active is None:
        return messages.INFO, _("The keyword rules classify new matters now: no learned model is active.")
    try:
        mv, model = active_model()
    except Exception:  # as classify: a model that cannot be looked up leaves the rules in use
        mv, model = None, None
    if model is None:
        return messages.WARNING, _(
            "Model v%(version)s is active but its file cannot be used: the keyword rules classify new matters "
            "now. See the model version's page.") % {"version": active.version}
    return messages.WARNING, _(
        "Model v%(version)s is active: the keyword rules are not in use now. They classify only when no model is "
        "active or the active model's file cannot be used.") % {"version": mv.version}


def retraining_in_use() -> str:
    """The model list's notice on the nightly retraining: off, or how many matters were
    labelled or closed since the last model trained from the database, of how many it waits for."""
    from . import service, training

    if not service.setting("FENGQIAO_TRIAGE_RETRAIN", True):
        return str(_("Nightly retraining is off (FENGQIAO_TRIAGE_RETRAIN). Retrain with: fengqiao triage train "
                     "--from-db"))
    status = training.retrain_status()
    values = {"new": status["new_rows"], "min": status["min_new"], "version": status["last_version"]}
    if status["last_version"] is None:
        text = _("Nightly retraining: %(new)s matters labelled or closed so far, no model trained from the "
                 "database yet; it trains at 02:43 once there are %(min)s.") % values
    else:
        text = _("Nightly retraining: %(new)s matters labelled or closed since model v%(version)s was trained; "
                 "it retrains at 02:43 once there are %(min)s.") % values
    return f"{text} " + str(_("A new model is put to use only if it does better on at least %(n)s held-out "
                              "matters.") % {"n": MIN_HELDOUT_TO_ACTIVATE})


@admin.register(KeywordRule)
class KeywordRuleAdmin(admin.ModelAdmin):
    form = KeywordRuleForm
    list_display = ["category", "keyword_list", "weight", "is_active", "note"]
    list_filter = ["is_active"]
    list_select_related = ["category"]
    search_fields = ["category__name", "category__code", "note"]

    @admin.display(description=_("keywords"))
    def keyword_list(self, obj):
        return KEYWORD_JOINER.join(str(k) for k in obj.keywords or [])

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET" and not request.GET.get("_popup"):
            level, text = keywords_in_use()
            self.message_user(request, text, level)
        return super().changelist_view(request, extra_context)


@admin.register(PlaceName)
class PlaceNameAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "area", "is_active"]
    list_filter = ["kind", "is_active"]
    list_select_related = ["area"]
    search_fields = ["name", "area__name"]
    autocomplete_fields = ["area"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    form = RoutingRuleForm
    list_display = ["id", "name", "category", "area_level", "area", "target_level", "department", "priority",
                    "is_active"]
    list_filter = ["is_active", "area_level", "target_level"]
    list_select_related = ["category", "area", "department"]
    search_fields = ["name", "category__name"]
    autocomplete_fields = ["area", "department"]
    filter_horizontal = ["cohandlers"]


def _replaced(activation: ModelActivation | None) -> str:
    """What an activation replaced: ``v3`` or the keyword rules."""
    if activation is None:
        return "-"
    previous = activation.previous
    return f"v{previous.version.version}" if previous is not None else str(_("keyword rules"))


class _ReadOnly:
    """The activation history is written by the activate and rollback actions only."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ModelActivationInline(_ReadOnly, admin.TabularInline):
    model = ModelActivation
    fk_name = "version"
    fields = readonly_fields = ["at", "by", "replaced", "undone_at", "undone_by", "source"]
    ordering = ["-id"]
    extra = 0
    verbose_name_plural = _("activations of this version")

    @admin.display(description=_("replaced"))
    def replaced(self, obj):
        return _replaced(obj)


# ---------------------------------------------------------------- model versions' figures


def _figure(value) -> str:
    """A figure of the stored JSON as the admin shows it: a score ``0.9312`` (4 places), ``812``,
    ``12.3`` (seconds, milliseconds), ``-`` for none."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4f}" if 0 <= value <= 1 else f"{value:.6g}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def rows_trained(mv: ModelVersion):
    """Rows the model was trained on: ``train_rows`` of ``train --from-db`` (its ``rows`` count
    the held-out ones too), else ``rows`` (a registered file's rows used)."""
    t = mv.training or {}
    return t.get("train_rows", t.get("rows"))


def heldout_n(mv: ModelVersion):
    """Rows of the held-out evaluation (``n`` of the figures, ``heldout_rows`` when there were none
    to score); a registered file has none."""
    e = mv.evaluation or {}
    return e.get("n", e.get("heldout_rows"))


def heldout_macro_f1(mv: ModelVersion):
    return (mv.evaluation or {}).get("macro_f1")


def cv_macro_f1(mv: ModelVersion):
    """The cross-validation macro-F1 of the model's metadata (evaluation of a registered file,
    training summary of ``train --from-db``), as ``triage models`` reads it."""
    return (mv.evaluation or {}).get("cv_macro_f1", (mv.training or {}).get("cv_macro_f1"))


def _number_of(*keys):
    """An ordering for a figure stored in JSON (the first of ``keys`` present), as a number."""
    texts = [KT(k) for k in keys]
    return Cast(Coalesce(*texts) if len(texts) > 1 else texts[0], FloatField())


def _label_names(codes) -> dict[str, str]:
    names = dict(Category.objects.filter(code__in=[str(c) for c in codes]).values_list("code", "name"))
    return {str(c): (f"{names[str(c)]} ({c})" if str(c) in names and names[str(c)] != str(c) else str(c))
            for c in codes}


def _table(rows, header=None):
    """A small read-only table: ``rows`` of cells (text, escaped; or already safe HTML)."""
    head = format_html("<thead><tr>{}</tr></thead>", format_html_join("", "<th>{}</th>", ((h,) for h in header))) \
        if header else ""
    body = format_html_join("", "<tr>{}</tr>", (
        (format_html_join("", "<td>{}</td>", ((capfirst(cell) if i == 0 else cell,) for i, cell in enumerate(row))),)
        for row in rows))
    return format_html('<table class="triage-figures">{}<tbody>{}</tbody></table>', head, body)


def _per_label_table(per_label: dict):
    names = _label_names(per_label)
    return _table([(names[str(k)], _figure(v)) for k, v in per_label.items()], [_("label"), _("rows")])


def _files_table(files: list):
    rows = []
    for f in files:
        if isinstance(f, dict):
            rows.append((f.get("file", "-"), _figure(f.get("rows")),
                         _("yes") if f.get("pretokenized") else _("no")))
        else:
            rows.append((str(f), "-", "-"))
    return _table(rows, [_("file"), _("rows"), _("pre-segmented")])


#: the training summary's keys shown, in order, with their names (``params`` is the
#: "parameters" line; a key not named here is shown as it is stored)
TRAINING_KEYS = [
    ("rows", _("labelled rows in all (held-out ones included)")),
    ("heldout_rows", _("held-out rows")),
    ("from_labels", _("from operators' labels")),
    ("from_closed", _("from categories of closed matters")),
    ("raw_rows", _("raw text rows")),
    ("pretokenized_rows", _("pre-segmented rows")),
    ("cv_macro_f1", _("CV macro-F1")),
    ("seconds", _("training time (s)")),
    ("created", _("trained at")),
    ("registered_from", _("registered from")),
]


def training_table(mv: ModelVersion):
    t = dict(mv.training or {})
    if not t:
        return "-"
    rows = [(_("rows trained on"), _figure(rows_trained(mv)))]
    t.pop("train_rows", None)
    if "train_rows" not in (mv.training or {}):
        t.pop("rows", None)  # a registered file's rows are the rows trained on
    t.pop("params", None)  # shown as the parameters
    for key, name in TRAINING_KEYS:
        if key in t:
            rows.append((name, _figure(t.pop(key))))
    files = t.pop("files", None)
    if files:
        rows.append((_("training files"), _files_table(files)))
    per_label = t.pop("per_label", None)
    if per_label:
        rows.append((_("rows per label"), _per_label_table(per_label)))
    rows.extend((key, _figure(value)) for key, value in t.items())
    return _table(rows)


def _baseline(baseline: dict) -> str:
    if not baseline:
        return "-"
    if baseline.get("active_version") is not None:
        what = _("model v%(version)s") % {"version": baseline["active_version"]}
    else:
        what = _("keyword rules")
    return _("%(what)s: macro-F1 %(macro_f1)s, accuracy %(accuracy)s") % {
        "what": what, "macro_f1": _figure(baseline.get("macro_f1")), "accuracy": _figure(baseline.get("accuracy"))}


def evaluation_table(mv: ModelVersion):
    e = dict(mv.evaluation or {})
    if not e:
        return "-"
    rows = []
    n = heldout_n(mv)
    e.pop("n", None)
    e.pop("heldout_rows", None)
    if n is not None:
        rows.append((_("held-out rows"), _figure(n)))
    for key, name in (("macro_f1", _("held-out macro-F1")), ("accuracy", _("accuracy")),
                      ("cv_macro_f1", _("CV macro-F1"))):
        if key in e:
            rows.append((name, _figure(e.pop(key))))
    if "baseline" in e:
        rows.append((_("before, on the same held-out rows"), _baseline(e.pop("baseline") or {})))
    latency = e.pop("latency_ms", None)
    if isinstance(latency, dict):
        rows.append((_("time per message (ms)"),
                     ", ".join(f"{k} {_figure(v)}" for k, v in latency.items())))
    per_class = e.pop("per_class", None)
    if isinstance(per_class, dict) and per_class:
        names = _label_names(per_class)
        rows.append((_("per label"), _table(
            [(names[str(label)], *(_figure((f or {}).get(k)) for k in ("precision", "recall", "f1", "support")))
             for label, f in per_class.items()],
            [_("label"), _("precision"), _("recall"), "F1", _("held-out rows")])))
    rows.extend((key, _figure(value)) for key, value in e.items())
    return _table(rows)


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["kind", "version", "is_active", "rows_trained", "heldout_n", "heldout_macro_f1", "cv_macro_f1",
                    "created_at", "activated_at", "replaced", "note"]
    list_filter = ["kind", "is_active"]
    fields = ["kind", "version", "is_active", "note", "file", "file_status", "file_removed_at", "sha256", "labels",
              "parameters", "training_summary", "evaluation_summary", "created_at", "created_by", "activated_at",
              "replaced"]
    readonly_fields = [f for f in fields if f != "note"]
    inlines = [ModelActivationInline]
    actions = ["activate", "roll_back"]

    def changelist_view(self, request, extra_context=None):
        # a line under the title (admin/triage/modelversion/change_list.html), not a message:
        # messages are the answers to the list's actions
        if request.method == "GET" and not request.GET.get("_popup"):
            extra_context = {**(extra_context or {}), "retraining_notice": retraining_in_use()}
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("rows trained on"), ordering=_number_of("training__train_rows", "training__rows"))
    def rows_trained(self, obj):
        return _figure(rows_trained(obj))

    @admin.display(description=_("held-out rows"), ordering=_number_of("evaluation__n", "evaluation__heldout_rows"))
    def heldout_n(self, obj):
        return _figure(heldout_n(obj))

    @admin.display(description=_("held-out macro-F1"), ordering=_number_of("evaluation__macro_f1"))
    def heldout_macro_f1(self, obj):
        return _figure(heldout_macro_f1(obj))

    @admin.display(description=_("CV macro-F1"), ordering=_number_of("evaluation__cv_macro_f1",
                                                                      "training__cv_macro_f1"))
    def cv_macro_f1(self, obj):
        return _figure(cv_macro_f1(obj))

    @admin.display(description=_("training data summary"))
    def training_summary(self, obj):
        return training_table(obj)

    @admin.display(description=_("evaluation"))
    def evaluation_summary(self, obj):
        return evaluation_table(obj)

    @admin.display(description=_("replaced"))
    def replaced(self, obj):
        """What this version replaced when it was last activated (from the activation history)."""
        last = (ModelActivation.objects.filter(version=obj).select_related("previous__version")
                .order_by("-id").first())
        return _replaced(last)

    @admin.display(description=_("parameters"))
    def parameters(self, obj):
        from .service import describe_params

        return describe_params(obj.params)

    @admin.display(description=_("file status"))
    def file_status(self, obj):
        """Present and the registered sha256 (not loaded: that is checked on activation)."""
        from fengqiao.core.errors import UserError

        from .service import verify_file

        try:
            verify_file(obj)
        except UserError as exc:
            return exc.message()
        return _("present, checksum as registered")

    @admin.action(description=_("Activate the selected model version"), permissions=["change"])
    def activate(self, request, queryset):
        from fengqiao.core.errors import UserError

        from .actions import activate_version, unmatched_labels

        selected = list(queryset[:2])
        if len(selected) != 1:
            self.message_user(request, _("Select exactly one model version to activate."), messages.ERROR)
            return
        mv = selected[0]
        try:
            activate_version(mv, by=request.user)
        except UserError as exc:
            self.message_user(request, _("Model version v%(version)s was not activated: %(error)s")
                              % {"version": mv.version, "error": exc.message()}, messages.ERROR)
            return
        self.message_user(request, _("Model version v%(version)s is now active.") % {"version": mv.version},
                          messages.SUCCESS)
        n = heldout_n(mv)
        if isinstance(n, int) and n < MIN_HELDOUT_TO_ACTIVATE:
            self.message_user(request, _("Its figures rest on %(n)s held-out matters only (train --from-db activates "
                                         "a model by itself from %(min)s): watch its confidences, and roll back if "
                                         "they read as certain.") % {"n": n, "min": MIN_HELDOUT_TO_ACTIVATE},
                              messages.WARNING)
        unmatched = unmatched_labels(mv.labels)
        if unmatched:
            self.message_user(request, _("These labels of the model match no active category and will never be "
                                         "suggested: %(labels)s") % {"labels": "、".join(unmatched)},
                              messages.WARNING)

    @admin.action(description=_("Roll back the active model version (undo its activation)"), permissions=["change"])
    def roll_back(self, request, queryset):
        """回退 from the admin, as `fengqiao triage rollback`: the active version is selected, so
        the admin says which activation is undone."""
        from fengqiao.core.errors import UserError

        from .actions import rollback

        selected = list(queryset[:2])
        if len(selected) != 1 or not selected[0].is_active:
            self.message_user(request, _("Select the active model version to roll back."), messages.ERROR)
            return
        try:
            back_to = rollback(kind=selected[0].kind, by=request.user)
        except UserError as exc:
            self.message_user(request, _("Nothing was rolled back: %(error)s") % {"error": exc.message()},
                              messages.ERROR)
            return
        if back_to is None:
            self.message_user(request, _("Rolled back: the keyword rules classify now."), messages.SUCCESS)
        else:
            self.message_user(request, _("Rolled back: model version v%(version)s is active now.")
                              % {"version": back_to.version}, messages.SUCCESS)

    def has_add_permission(self, request):
        return False


@admin.register(ModelActivation)
class ModelActivationAdmin(_ReadOnly, admin.ModelAdmin):
    """模型启用记录, read-only: newest first; a rollback undoes the newest one in effect."""

    list_display = ["id", "kind", "version", "at", "by", "replaced", "state", "undone_at", "undone_by", "source"]
    list_filter = ["kind", "source"]
    list_select_related = ["version", "by", "undone_by", "previous__version"]
    fields = readonly_fields = ["kind", "version", "at", "by", "previous", "replaced", "state", "undone_at",
                                "undone_by", "source"]
    ordering = ["-id"]

    @admin.display(description=_("replaced"))
    def replaced(self, obj):
        return _replaced(obj)

    @admin.display(description=_("state"))
    def state(self, obj):
        if obj.undone_at is not None:
            return _("rolled back")
        from .actions import in_effect

        top = in_effect(obj.kind)
        if top is not None and top.pk == obj.pk:
            return _("in effect: a rollback undoes this one")
        return _("earlier: a rollback returns here in turn")


@admin.display(description=_("matter"), ordering="event_id")
def _matter_number(obj) -> str:
    """The matter by its number only: its title is the citizen's words (names, phone numbers),
    which the administrator, who configures triage, has no business reading here (DOMAIN.md:
    no silent access to personal data); the console shows the matter to those who may."""
    return obj.event.number or str(obj.event_id)


@admin.register(CategoryLabel)
class CategoryLabelAdmin(_ReadOnly, admin.ModelAdmin):
    """分类标注, read-only: labels are training data and part of the audit trail. A wrong label is
    not deleted: labelling the matter again (the console's category choice or the API's
    ``label/``) records a newer label, and training takes each matter's latest one."""

    list_display = ["matter", "category", "suggested", "source", "by", "at"]
    list_filter = ["source"]
    list_select_related = ["event", "category", "by"]
    exclude = ["event"]
    readonly_fields = ["matter"]

    matter = staticmethod(_matter_number)
    search_fields = ["category__name", "category__code", "suggested"]


@admin.register(TriageResult)
class TriageResultAdmin(_ReadOnly, admin.ModelAdmin):
    """智能研判结果, read-only: written by triage on intake only."""

    list_display = ["matter", "classifier", "top_confidence", "area", "place_conflict", "route_source",
                    "needs_person", "auto_dispatched", "created_at"]
    list_filter = ["needs_person", "place_conflict", "route_source", "auto_dispatched"]
    list_select_related = ["event", "area"]
    exclude = ["event"]
    readonly_fields = ["matter"]

    matter = staticmethod(_matter_number)
