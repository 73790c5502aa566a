"""Chinese (zh-Hans) for every UI string of the patrols (巡逻): its Python code (models, choices,
app, views), the templates under patrols/templates/patrols/, its entry in the console's menu
(web/templates/web/base.html) and its card on the grid workers' phone page
(web/templates/web/phone.html), to generate the .po file (``make messages``,
scripts/fill_translations.py).

Keys are the English msgids exactly as in the code and templates (blocktranslate variables
written as ``%(name)s``); values are the translations, in the words the county offices use:
巡逻, 巡逻记录, 巡逻人员, 巡逻轨迹, 巡逻情况, 开始巡逻, 结束巡逻, 巡逻中, 超时自动结束. A msgid the
catalogue already has keeps its wording there (区域, 位置, 录入时间, 结束时间 …): the catalogue
holds one Chinese per msgid, shared by every app (``tests/test_i18n.py`` checks both). The
actions' messages are bilingual plain strings, not gettext, and are not here.
"""

ZH = {
    # app, and the console's menu
    'Patrols': '巡逻记录',
    # choices
    'Ended by the patroller': '正常结束',
    'Ended automatically': '超时自动结束',
    'Running': '巡逻中',
    'Ended': '已结束',
    # models (the catalogue's wording kept for area, longitude, recorded at, ended at …)
    'patrol': '巡逻',
    'patrols': '巡逻',
    'area': '区域',
    'area path': '区域路径',
    'patroller': '巡逻人员',
    'started at': '开始时间',
    'ended at': '结束时间',
    'how it ended': '结束方式',
    'what was seen': '巡逻情况',
    'points': '定位点数',
    'distance (m)': '巡逻里程(米)',
    'points inside the area': '区域内定位点数',
    'matters reported': '途中上报事件数',
    'duration (s)': '巡逻时长(秒)',
    'end recorded at': '结束登记时间',
    'last point': '最后定位时间',
    'last heard from': '最后上传时间',
    'recorded at': '录入时间',
    'track point': '轨迹点',
    'track points': '轨迹点',
    'longitude': '经度',
    'latitude': '纬度',
    'accuracy (m)': '定位精度(米)',
    'inside the area': '在区域内',
    'matter': '事件',
    'matter reported on a patrol': '巡逻上报事件',
    'matters reported on patrols': '巡逻上报事件',
    # views
    'Your role does not open the patrol records.': '您的角色无权查看巡逻记录。',
    '%(h)d h %(m)02d min': '%(h)d小时%(m)02d分',
    'Unknown patrol state: %(value)s': '未知的巡逻状态:%(value)s',
    'Unknown patroller: %(value)s': '未知的巡逻人员:%(value)s',
    'Not a date: %(value)s': '日期格式不正确:%(value)s',
    'Start of the track': '起点',
    'End of the track': '终点',
    'Last position': '最后位置',
    # the list
    '%(n)s in this list': '共 %(n)s 条',
    'The patrols of this list': '本列表的巡逻',
    'Number of patrols': '巡逻次数',
    'Patrolling now': '正在巡逻',
    'Hours on patrol': '巡逻时长(小时)',
    'Kilometres walked': '巡逻里程(公里)',
    'Matters reported on patrol': '巡逻上报事件数',
    'Area': '区域',
    'All areas': '全部区域',
    'Patrol state': '巡逻状态',
    'Running or ended': '全部状态',
    'Patroller': '巡逻人员',
    'All patrollers': '全部巡逻人员',
    'From': '自',
    'To': '至',
    'Filter': '筛选',
    'Clear': '清除',
    'Started at': '开始时间',
    'Ended at': '结束时间',
    'Duration': '巡逻时长',
    'Distance (km)': '巡逻里程(公里)',
    'Points': '定位点数',
    'Inside the area': '区域内比例',
    'Matters reported': '上报事件',
    'How it ended': '结束方式',
    'Patrolling': '巡逻中',
    'No patrols.': '暂无巡逻记录。',
    # one patrol
    'What was seen': '巡逻情况',
    'Matters reported on this patrol': '本次巡逻上报的事件',
    'No matters were reported on this patrol.': '本次巡逻未上报事件。',
    'Matters reported on this patrol that you may not open: %(n)s': '本次巡逻上报、您无权查看的事件:%(n)s 件',
    'Map of the track': '巡逻轨迹地图',
    "Positions recorded by the phone: %(n)s. The red line is the track, the grey outline the area's boundary.":
        '手机记录的定位点:%(n)s 个。红线为巡逻轨迹,灰色轮廓为区域边界。',
    # the phone page's card
    'Patrol': '巡逻',
    'Start a patrol when you set out: while this page stays open the phone records your route, and the matters '
    'you report on the way are linked to the patrol.':
        '出发时开始巡逻:本页面保持打开期间,手机会记录巡逻轨迹,途中上报的事件将关联到本次巡逻。',
    'Start a patrol': '开始巡逻',
    'Elapsed': '已巡逻',
    'Positions sent': '已上传定位点',
    'Positions waiting to send': '待上传定位点',
    'Location': '位置',
    'Waiting for the position…': '正在获取位置…',
    'not available': '无法获取',
    'The browser does not allow this page to read the location: allow it in the settings.':
        '浏览器未允许本页面获取位置,请在设置中允许。',
    'What you saw on the way (optional)': '巡逻途中看到的情况(选填)',
    'End the patrol now?': '确定结束本次巡逻?',
    'End the patrol': '结束巡逻',
    'Everything has been sent.': '全部已发送。',
    'Positions waiting to send: %s (kept on this phone until the network is back)':
        '待上传定位点:%s 个(网络恢复前保存在手机上)',
    'The end of the patrol is sent once the network is back.': '网络恢复后将上传结束巡逻。',
    'Patrol ended.': '巡逻已结束。',
    'The server could not take the positions just now; they stay on this phone and will be sent again.':
        '服务器暂时无法接收定位点,定位点保存在本机,稍后会再次发送。',
    'The server gave an answer that is not a confirmation; the positions stay on this phone and will be sent '
    'again.': '服务器的应答不是接收确认,定位点保存在本机,稍后会再次发送。',
    'Positions the server did not take (outside the time of the patrol): %s': '服务器未接收的定位点(不在巡逻时间内):%s 个',
    'The phone has no room left to keep positions: they are kept only while this page stays open.':
        '手机存储空间已满:定位点仅在本页面打开期间保留。',
    'Your patrol was ended on the server: elsewhere, or automatically after the phone sent nothing for two '
    'hours.': '您的巡逻已在服务器上结束:已在别处结束,或手机两小时未上传而自动结束。',
    'Your sign-in has expired. The positions stay on this phone and are sent after you sign in again.':
        '登录已过期。定位点保存在本机,重新登录后会自动发送。',
    'Sign in again': '重新登录',
    'This phone is now signed in with another account. The positions stay on this phone and are sent after you '
    'sign in again as %s.': '本机当前登录的是另一个账号。定位点保存在本机,请用账号 %s 重新登录后自动发送。',
    'This patrol was ended on the server (elsewhere, or automatically after the phone sent nothing for two '
    'hours): the phone no longer records your route. Write what you saw and end it: the end is recorded with '
    'your note.': '本次巡逻已在服务器上结束(已在别处结束,或手机两小时未上传而自动结束),手机已停止记录轨迹。'
                  '请填写巡逻情况后结束巡逻,巡逻情况将随结束一并登记。',
    'The patrol had been ended elsewhere already, so this note was not saved: %s': '该巡逻已在别处结束,以下巡逻情况未能保存:%s',
    'The patrol started %s was not accepted by the server': '%s 开始的巡逻未被系统接收',
    'The end of the patrol started %s was not accepted by the server': '%s 开始的巡逻的结束未被系统接收',
    'The patrol started %s is not found for this account: it stays on this phone until you sign in as the '
    'patroller who started it, or delete it': '当前账号下找不到 %s 开始的巡逻:它保存在本机,请用开始该巡逻的账号重新登录,或将其删除',
    'positions kept on this phone: %s': '本机保存的定位点:%s 个',
    'What was seen: %s': '巡逻情况:%s',
    'Send again': '重新发送',
    'Delete': '删除',
    'Delete this patrol and its positions from the phone? They have not been sent.':
        '从本机删除这次巡逻及其定位点?它们尚未发送。',
    'My patrol records': '我的巡逻记录',
    'You are on patrol: the report is linked to the patrol.': '正在巡逻:本次上报将关联到当前巡逻。',
    # audit trail labels (web/audit.py)
    'Patrol started': '开始巡逻',
    'Patrol ended': '结束巡逻',
    'Patrol ended automatically (phone silent or 12 hours)': '巡逻自动结束(手机长时间未上传或满12小时)',
}
