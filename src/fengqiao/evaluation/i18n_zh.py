"""Chinese (zh-Hans) for every UI string of the evaluation app (its Python code and the templates
under web/templates/web/evaluation/), to generate the .po file.

Keys are the English msgids exactly as in the code and templates (blocktranslate variables
written as ``%(name)s``); values are the translations. Words the catalogue already has keep
its wording (得分, 满意率, 按期办结率, 查询 …).
"""

ZH = {
    # app, models, admin
    'Evaluation': '督导考评',
    'Day': '日',
    'Month': '月',
    'indicator': '指标',
    'weight': '权重',
    'updated at': '更新时间',
    'updated by': '更新人',
    'indicator weight': '指标权重',
    'indicator weights': '指标权重',
    '0 to 100; the score divides by the sum of the weights used': '0 至 100;综合得分按参与计分的权重之和折算',
    'definition': '口径',
    'period kind': '期间类型',
    'period start': '期间起始日',
    'period': '期间',
    'revision': '版次',
    'scope': '范围',
    'scope path': '范围路径',
    'period over when published': '发布时期间已结束',
    'published at': '发布时间',
    'published by': '发布人',
    'published by (name)': '发布人(姓名)',
    'figures': '考评数据',
    'published evaluation': '考评发布',
    'published evaluations': '考评发布',
    # indicators
    'Intake': '受理量',
    'On-time sign-for rate': '按时签收率',
    'On-time resolution rate': '按期办结率',
    'Resolution rate': '办结率',
    'Satisfaction rate': '满意率',
    'Repeat rate': '重复率',
    'Return rate': '退回率',
    'Overdue matters': '超期件数',
    'Mediation success rate': '调解成功率',
    'Hazard rectification rate': '隐患整改率',
    'Key-person visit completion': '重点人员走访完成率',
    'Matters received in the period.': '期间内受理(登记)的事件数。',
    'Of the matters signed for in the period, those signed for by the sign-for deadline.':
        '期间内签收的事件中,在签收时限内签收的比例。',
    'Of the matters resolved in the period (and still resolved, verified or closed), those resolved by the '
    'handling deadline.':
        '期间内办结(且目前仍为已办结、已核实或已归档)的事件中,在办理时限内办结的比例。',
    'Of the matters received in the period and not rejected, merged or cancelled, those now resolved, verified or '
    'closed.':
        '期间内受理且未被不予受理、合并或撤销的事件中,目前已办结、已核实或已归档的比例。',
    'Of the matters resolved in the period and visited, those the citizen was satisfied or basically satisfied with.':
        '期间内办结并已回访的事件中,群众满意或基本满意的比例。',
    'Of the matters received in the period, those merged into another matter as repeats.':
        '期间内受理的事件中,作为重复件合并到其他事件的比例。',
    "Of the unit's sign-for and return decisions in the period, the returns.":
        '本单位人员期间内作出的签收与退回中,退回所占比例。',
    'Matters signed for or resolved late in the period, or whose running time limit ran out in the period and which '
    'are still not signed for or resolved.':
        '期间内超时签收或超期办结的事件,以及时限在期间内届满、至今仍未签收或办结的事件。',
    'Of the disputes concluded in the period, those mediated successfully.': '期间内调解终结的纠纷中,调解成功的比例。',
    'Of the safety-hazard matters received in the period and not rejected, merged or cancelled, those now resolved, '
    'verified or closed.':
        '期间内受理且未被不予受理、合并或撤销的安全隐患事件中,目前已整改办结(已办结、已核实或已归档)的比例。',
    'Not measurable yet: the platform holds no key-person registry or visits.': '暂无法统计:平台尚无重点人员台账及走访记录。',
    "Not measurable here: there is no category with the code 'hazard'.": '暂无法统计:事件分类中没有编码为 hazard 的安全隐患类别。',
    'Towns and streets': '乡镇(街道)',
    'Villages and communities': '村(社区)',
    'Grids': '网格',
    'Departments': '职能部门',
    # exports
    'n/a': '不适用',
    'Daily figures': '日晾晒',
    'Monthly ranking': '月比拼',
    'Period: %(start)s to %(last)s; year-on-year against %(prev)s': '期间:%(start)s 至 %(last)s;同比期间 %(prev)s',
    'Published %(at)s by %(who)s, revision %(rev)s': '%(who)s 于 %(at)s 发布,第 %(rev)s 版',
    'Live figures, not published': '实时数据,未发布',
    'The period was not over yet: figures as of %(at)s': '期间尚未结束:数据截至 %(at)s',
    'Weights: %(w)s': '权重:%(w)s',
    'Not measurable yet: %(names)s': '暂无法统计:%(names)s',
    'Rank': '排名',
    'Unit': '单位',
    'Score': '得分',
    'Score year on year': '得分同比',
    'Counts': '计数',
    'Definitions': '指标口径',
    'Indicator': '指标',
    'Definition': '口径',
    'Weight': '权重',
    # views
    'Your role does not open the evaluation.': '您的角色不能查看督导考评。',
    'Your role does not publish evaluation results.': '您的角色不能发布考评结果。',
    'Yesterday': '昨日',
    'Today': '今日',
    'This month': '本月',
    'Last month': '上月',
    'Published %(period)s, revision %(rev)s.': '已发布 %(period)s 考评结果,第 %(rev)s 版。',
    'pt': '个百分点',
    'Score a year earlier': '去年同期得分',
    # templates
    'How the figures are counted': '统计口径',
    "Towns and villages count the matters of their place (as the dashboard does) and the sign-for and return "
    "decisions of their own staff; a department counts the matters it handles and its staff's decisions. The score "
    "is the weighted mean of the indicators on 0–100: a rate counts as its percentage (for the repeat and return "
    "rates, 100 minus it), the overdue count as 100 × (1 − count ÷ the largest count of the ranking). An indicator "
    "without figures leaves the score, and the other weights count in its place; a unit without a single rate with "
    "figures has no score and no rank. Year on year: the same day or month a year earlier; rates change in "
    "percentage points.":
        '乡镇、村(社区)按属地统计本地的事件(与数据看板一致),签收与退回按本单位人员的操作统计;职能部门统计其承办的事件及本部门人员的操作。'
        '综合得分为各指标换算到 0–100 分后的加权平均:比率按百分数计分(重复率、退回率为 100 减去该百分数),'
        '超期件数按 100 ×(1 − 件数 ÷ 本次排名中的最大件数)计分。没有数据的指标不参与计分,其余指标按权重折算;'
        '没有任何一项比率有数据的单位不计得分、不排名。同比为去年同一日或同一月,比率的变化以百分点计。',
    'Not measurable yet:': '暂无法统计:',
    'YoY': '同比',
    'No units to evaluate.': '没有可考评的单位。',
    'No unit has a score in this period.': '本期没有单位有得分。',
    'Day (daily figures)': '按日(日晾晒)',
    'Show': '查询',
    'Month (monthly ranking)': '按月(月比拼)',
    'The period is not over: the figures are those so far and will still change.': '期间尚未结束:以下为截至目前的数据,仍会变化。',
    'Export to Excel': '导出Excel',
    'Export to PDF': '导出PDF',
    'Publish again (new revision)': '重新发布(新版次)',
    'Publish these figures': '发布本期考评结果',
    'Publishing freezes the figures as they are now; publishing again adds a revision and keeps the earlier ones.':
        '发布即固定当前数据;再次发布将生成新版次,原版次保留。',
    'Published for this period:': '本期已发布:',
    'Every count of matters that the matter list can select opens that list; the list shows the matters as they are '
    'now.':
        '凡事件列表能够精确筛选的件数均可点击查看对应事件;列表显示的是事件的当前状态。',
    'Published evaluations': '已发布的考评结果',
    'Period': '期间',
    'Revision': '版次',
    'Scope': '范围',
    'Published by': '发布人',
    'Published at': '发布时间',
    'Files': '文件',
    'period not over': '期间未结束',
    'Nothing published yet.': '尚未发布。',
    'year on year: %(prev)s': '同比:%(prev)s',
    'Published evaluation': '考评发布',
    'Weights': '权重',
    'Revisions': '版次',
    'These are the figures as published: they do not change when matters change later, so they carry no links to '
    'the matter list.':
        '以下为发布时的数据,之后事件变化不会改变这些数字,因此不链接到事件列表。',
    'Live figures of this period': '本期实时数据',
}
