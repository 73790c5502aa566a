"""Chinese (zh-Hans) for the UI strings triage (智能研判) added after its first strings: the admin
pages' field names, choices, keyword box, notices and the model versions' figures, to generate
the .po file (``make messages`` reads this table through scripts/fill_translations.py).

Triage's earlier strings keep their Chinese in locale/zh_extra.py; a msgid either table already
has is not repeated here (tests/test_i18n.py checks both, and that nothing here is dead). Keys are
the English msgids exactly as in the code; values the translations, in the words of DOMAIN.md
and of the rest of the console (乡镇/街道, 坐席, 已归档, 承办).
"""

ZH = {
    # field names and choices (models.py)
    'SHA-256 checksum': 'SHA-256 校验值',
    'created by': '创建人',
    'place named in the text': '文字所指地点',
    'place of the coordinates': '坐标所在地点',
    'suggested handling area': '建议承办区域',
    'suggested handling department': '建议承办部门',
    'route facts': '流转依据',
    'why a person is needed': '需人工研判的原因',
    'Routing rule': '流转规则',
    'Matters like this handled before': '同类事件以往承办单位',
    "The category's usual department": '该分类的常用承办部门',
    # rule forms and the keyword-rule list (admin.py)
    '%(category)s (inactive)': '%(category)s(已停用)',
    'Separate keywords with commas, 、, semicolons or new lines, e.g. 噪声、石料厂. Blanks and repeats are left out.':
        '多个关键词用逗号(全角或半角)、顿号、分号或换行分隔,如:噪声、石料厂。空白和重复的关键词会自动去除。',
    'The keyword rules classify new matters now: no learned model is active.':
        '当前由关键词规则对新事件分类:没有启用的学习模型。',
    "Model v%(version)s is active: the keyword rules are not in use now. They classify only when no model is "
    "active or the active model's file cannot be used.":
        '模型 v%(version)s 已启用:关键词规则当前未使用。仅当没有启用的模型,或启用模型的文件无法使用时,才由关键词规则分类。',
    "Model v%(version)s is active but its file cannot be used: the keyword rules classify new matters now. "
    "See the model version's page.":
        '模型 v%(version)s 已启用,但其文件无法使用:当前由关键词规则对新事件分类。详见该模型版本页面。',
    # the model list's notice on the nightly retraining
    'file removed at': '文件删除时间',
    "Nightly retraining is off (FENGQIAO_TRIAGE_RETRAIN). Retrain with: fengqiao triage train --from-db":
        '每晚自动重训已关闭(FENGQIAO_TRIAGE_RETRAIN)。可手动重训:fengqiao triage train --from-db',
    "Nightly retraining: %(new)s matters labelled or closed so far, no model trained from the database yet; it "
    "trains at 02:43 once there are %(min)s.":
        '每晚自动重训:目前已有 %(new)s 件已标注或已归档的事件,尚未从数据库训练过模型;满 %(min)s 件后于 02:43 训练。',
    "Nightly retraining: %(new)s matters labelled or closed since model v%(version)s was trained; it retrains at "
    "02:43 once there are %(min)s.":
        '每晚自动重训:模型 v%(version)s 训练以来新增 %(new)s 件已标注或已归档的事件;满 %(min)s 件后于 02:43 重训。',
    "A new model is put to use only if it does better on at least %(n)s held-out matters.":
        '新模型须在至少 %(n)s 件留出评估事件上优于当前模型,才会启用。',
    # model versions: list columns and the change page's tables
    'rows trained on': '训练条数',
    'held-out rows': '留出评估条数',
    'held-out macro-F1': '留出集宏平均 F1',
    'CV macro-F1': '交叉验证宏平均 F1',
    'labelled rows in all (held-out ones included)': '标注数据总条数(含留出)',
    "from operators' labels": '来自坐席标注',
    'from categories of closed matters': '来自已归档事件的分类',
    'raw text rows': '原文条数',
    'pre-segmented rows': '已分词条数',
    'training time (s)': '训练用时(秒)',
    'trained at': '训练时间',
    'registered from': '登记来源文件',
    'training files': '训练文件',
    'rows per label': '各标签条数',
    'label': '标签',
    'rows': '条数',
    'pre-segmented': '已分词',
    'yes': '是',
    'no': '否',
    'accuracy': '准确率',
    'precision': '精确率',
    'recall': '召回率',
    'per label': '分标签指标',
    'time per message (ms)': '单条耗时(毫秒)',
    'before, on the same held-out rows': '原分类方式(同一留出数据)',
    'model v%(version)s': '模型 v%(version)s',
    '%(what)s: macro-F1 %(macro_f1)s, accuracy %(accuracy)s': '%(what)s:宏平均 F1 %(macro_f1)s,准确率 %(accuracy)s',
    'Its figures rest on %(n)s held-out matters only (train --from-db activates a model by itself from %(min)s): watch its confidences, and roll back if they read as certain.': '其评估只基于 %(n)s 件留出事件(train --from-db 需 %(min)s 件以上才会自动启用):请留意其置信度,若都接近 100% 请回退。',
}
