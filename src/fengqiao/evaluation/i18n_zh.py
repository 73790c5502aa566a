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
    "Of the unit's sign-fors in the period (of matters dispatched to it from outside the unit), those made by the "
    "sign-for deadline.":
        '本单位期间内的签收(由本单位以外派来的事件)中,在签收时限内签收的比例。',
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
    "Of the matters the unit signed for or returned in the period, those it returned (each matter once).":
        '本单位期间内签收或退回的事件中,被本单位退回的比例(每件事件只计一次)。',
    "Time limits missed in the period: the unit's late sign-fors, plus the matters resolved late or whose time limit "
    "ran out in the period while still with the handling unit (also when the clock was paused after the limit ran "
    "out).":
        '期间内错过的时限:本单位的超时签收,加上超期办结的事件,以及时限在期间内届满时仍在承办单位手中的事件'
        '(时限届满后暂停计时的也计入)。',
    'Of the disputes concluded in the period, those mediated successfully.': '期间内调解终结的纠纷中,调解成功的比例。',
    'Of the safety-hazard matters received in the period and not rejected, merged or cancelled, those now resolved, '
    'verified or closed.':
        '期间内受理且未被不予受理、合并或撤销的安全隐患事件中,目前已整改办结(已办结、已核实或已归档)的比例。',
    'Of the key persons in the registry at the end of the period whose first visit had fallen due, those visited within their visit interval before the end.':
        '期末在册且已到首次走访期的重点人员中,期末前一个走访周期内走访过的人数占比。',
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
    'Counts a year earlier': '去年同期计数',
    '%(name)s a year earlier': '去年同期%(name)s',
    '%(name)s year on year': '%(name)s同比',
    'A year earlier: %(value)s': '去年 %(value)s',
    "Under each figure: a rate's numerator/denominator, the figure a year earlier and the change year on year "
    "(rates in percentage points).":
        '各指标数值下方依次为:比率的分子/分母、去年同期数值、同比变化(比率以百分点计)。',
    # the counts behind the rates (Excel's counts table)
    'Matters received': '受理件数',
    'Sign-fors': '签收件数',
    'Sign-fors on time': '按时签收件数',
    'Late sign-fors': '超时签收件数',
    'Matters resolved': '办结件数',
    'Matters resolved on time': '按期办结件数',
    'Valid matters (not rejected, merged or cancelled)': '受理有效件数(不含不予受理、合并、撤销)',
    'Valid matters now resolved': '有效件中已办结件数',
    'Visited after resolution': '已回访件数',
    'Satisfied or basically satisfied': '满意及基本满意件数',
    'Merged as repeats': '重复件(已合并)数',
    'Sign-for and return decisions': '签收及退回数',
    'Returns': '退回数',
    'Matters resolved late or past their time limit': '超期办结或时限已过未办结件数',
    'Disputes concluded': '调解终结纠纷数',
    'Disputes mediated successfully': '调解成功纠纷数',
    'Valid safety-hazard matters': '安全隐患有效件数',
    'Safety-hazard matters rectified': '安全隐患已整改件数',
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
    "Towns and villages count the matters of their place, including those a department handles (as the dashboard "
    "does); sign-fors and returns count for the unit that took them, and a village answering its own town's dispatch "
    "is internal to the town. A department counts the matters it handles and its own sign-fors and returns. The "
    "score is the weighted mean of the indicators on 0–100: a rate counts as its percentage (for the repeat and "
    "return rates, 100 minus it), the overdue count as 100 × (1 − count ÷ the largest count of the ranking). An "
    "indicator without figures leaves the score, and the other weights count in its place; a unit without a single "
    "rate with figures has no score and no rank, unless it has overdue matters: then it scores 0 and ranks last. "
    "Year on year: the same day or month a year earlier; rates change in percentage points.":
        '乡镇、村(社区)按属地统计本地的事件,包括职能部门承办的事件(与数据看板一致);签收与退回计入作出操作的单位,'
        '村(社区)签收或退回本乡镇派来的事件属于乡镇内部流转。职能部门统计其承办的事件及本部门的签收与退回。'
        '综合得分为各指标换算到 0–100 分后的加权平均:比率按百分数计分(重复率、退回率为 100 减去该百分数),'
        '超期件数按 100 ×(1 − 件数 ÷ 本次排名中的最大件数)计分。没有数据的指标不参与计分,其余指标按权重折算;'
        '没有任何一项比率有数据的单位不计得分、不排名,但有超期件的单位计 0 分、排在最后。'
        '同比为去年同一日或同一月,比率的变化以百分点计。',
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
    # the map (maps.py, _map.html)
    'no figure': '无数据',
    'Map': '地图',
    'Colour by': '着色指标',
    'No unit of this ranking has a boundary you may see.': '本排名中没有您可查看其边界的单位。',
    "Each unit is filled by the chosen figure, from blue (best) to red (worst); grey, marked —: no figure. Point at "
    "a unit (or tap it) for its score, rank and the figure. Departments have no place and are not on the map. The "
    "boundaries are today's.":
        '各单位按所选指标着色,蓝色最好、红色最差;灰色并标“—”表示无数据。鼠标指向(或点击)单位可查看其得分、排名和所选指标。'
        '职能部门没有属地,不在地图上显示。边界为当前的区域边界。',
    'Not on the map (no boundary):': '未在地图上显示(无边界):',
    'Check-point inspection completion': '平安点位巡查完成率',
    'Of the check-points in the registry at the end of the period whose inspection had fallen due, those inspected within their inspection interval before the end.':
        '期末在册且已到巡查期的平安点位中,期末前一个巡查周期内巡查过的点位占比。',
    'Key persons due a visit': '应走访重点人员数',
    'Key persons visited in time': '按期走访重点人员数',
    'Check-points due an inspection': '应巡查平安点位数',
    'Check-points inspected in time': '按期巡查平安点位数',
    ', ': '、',  # pgettext('list separator'): the areas left off the map
}
