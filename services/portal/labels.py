"""Every name the portal shows a person, in Chinese: roles, pages, ticket statuses, events, stages, urgencies, units,
notices and error titles. Keyed by the shared enums (`libs.ticket.Stage`, `TicketStatus`) where there is one."""
from __future__ import annotations

from libs.ticket import Stage, TicketStatus

ROLE_LABELS = {
    "resident": "居民",
    "grid_worker": "网格员",
    "community_staff": "社区工作人员",
    "department_staff": "部门工作人员",
    "supervisor": "督办",
    "leader": "领导",
    "admin": "管理员",
    "operator": "12345热线话务员",
    "volunteer": "志愿者",
}
# The navigation bar, in its order: path -> the page's name.
PAGE_LABELS = {
    "/file": "我要吹哨",
    "/mine": "我的诉求",
    "/grid": "我的网格",
    "/console": "社区转哨",
    "/worklist": "部门办哨",
    "/dashboard": "数据大屏",
    "/supervision": "督办",
    "/callbacks": "回访",
    "/triage": "街道分拨",
    "/admin": "系统设置",
    "/hotline": "热线受理",
    "/notifications": "通知管理",
    "/my-wishes": "我的心愿",
    "/volunteer": "志愿服务",
    "/wish-review": "心愿审核",
    "/wall": "心愿墙",
    "/rewards": "积分兑换",
    "/rewards/desk": "兑换核销",
    "/lists": "三张清单",
    "/projects/manage": "服务项目",
    "/audit": "操作审计",
}

# The short badge of each status; the long wording is libs.ticket.STATUS_LABELS_ZH, which the services send as
# `status_label` and the badge carries as its title.
STATUS_SHORT: dict[TicketStatus, str] = {
    TicketStatus.filed: "待转哨",
    TicketStatus.dispatched: "已派单",
    TicketStatus.settled_on_spot: "社区即办",
    TicketStatus.accepted: "办理中",
    TicketStatus.returned: "已退单",
    TicketStatus.resolved: "已办结",
    TicketStatus.reopened: "重办中",
    TicketStatus.callback: "待回访",
    TicketStatus.closed: "已关闭",
    TicketStatus.merged: "已合并",
}
STATUS_TONE: dict[TicketStatus, str] = {
    TicketStatus.filed: "warn",
    TicketStatus.returned: "warn",
    TicketStatus.reopened: "warn",
    TicketStatus.callback: "warn",
    TicketStatus.dispatched: "info",
    TicketStatus.accepted: "info",
    TicketStatus.resolved: "good",
    TicketStatus.settled_on_spot: "good",
    TicketStatus.closed: "muted",
    TicketStatus.merged: "muted",
}

EVENT_LABELS = {
    "TicketFiled": "居民吹哨",
    "TicketDispatched": "社区派单",
    "TicketSettledOnSpot": "社区即办",
    "TicketAccepted": "部门签收",
    "TicketReturned": "部门退单",
    "TicketResolved": "部门办结",
    "TicketRated": "居民评价",
    "TicketReopened": "不满意，重办",
    "TicketClosed": "诉求关闭",
    "TicketEscalated": "督办",
    "DeadlineWarned": "催办",
    "ResidentContacted": "已联系您",
    "ExtensionGranted": "延期已批准",
    "TicketMerged": "已合并",
    "TicketRecategorized": "社区调整分类",
    "TicketSuspended": "暂停办理",
    "TicketResumed": "恢复办理",
    "TicketAssignedToCommunity": "街道分拨到社区",
    "CallbackRequested": "待电话回访",
    "CallbackAttempted": "电话回访",
    "HazardVerified": "隐患已核实",
    "TicketNoteAdded": "办理说明",  # a staff note (公开 ones reach the resident)
    "ExtensionRequested": "申请延期",
    "ExtensionRefused": "延期被驳回",
    "StageDeadlineSet": "时限设定",
    "DepartmentsSummoned": "吹哨报到",
    "SummonsCheckedIn": "部门到场报到",
    "SummonsTaskCompleted": "协办任务完成",
}

# Every stage a deadline is counted in (warnings and escalations name one), as staff call it.
STAGE_LABELS: dict[Stage, str] = {
    Stage.dispatch: "转哨派单",
    Stage.accept: "部门签收",
    Stage.contact: "联系居民",
    Stage.resolve: "办结",
    Stage.rating: "居民评价",
    Stage.joint_handling: "联席办",
    Stage.callback: "电话回访",
    Stage.check_in: "到场报到",  # 吹哨报到: a summoned department on site
    Stage.co_task: "协办任务",
}
# Not a stage but a span of the SLA policy: how soon the departments meet on site for joint handling.
JOINT_ON_SITE_LABEL = "联席到场"

URGENCY_LABELS = {"emergency": "紧急", "urgent": "加急", "ordinary": "一般", "complex": "复杂"}
# Policy units (libs/sla/policy.py UNITS).
UNIT_LABELS = {
    "working_days": "工作日",
    "working_hours": "工作小时",
    "clock_hours": "小时",
    "days": "天",
    "minutes": "分钟",
    "seconds": "秒",
}
EXTENSION_STATUS = {"pending": ("延期待审批", "warn"), "granted": ("延期已批准", "good"), "refused": ("延期被驳回", "muted")}
SATISFACTION_CHOICES = (("satisfied", "满意"), ("basically_satisfied", "基本满意"), ("unsatisfied", "不满意"))
# Dashboard report scopes ("community:xinran" and the like).
SCOPE_LABELS = {"community": "社区", "department": "部门", "category": "问题类别"}

# A category id the directory does not name (a ticket filed before its category was renamed or removed).
UNNAMED_CATEGORY = "未命名类别（{id}）"

# What the portal calls the street's triage queue (a ticket's community while nothing placed it).
TRIAGE_LABEL = "街道分拨（待定社区）"

# Success notices chosen by key, so nothing from the query string is echoed into the page.
NOTICES = {
    "filed": "吹哨成功！社区会尽快转哨处理，您可以在这里查看进度。",
    "registered": "注册成功！以后可用手机号和密码或短信验证码登录；这个号码以前反映的问题也都在这里。",
    "rated": "感谢您的评价！",
    "dispatched": "已派单到承办部门。",
    "settled": "已记录为社区即办。",
    "hazard_verified": "已确认隐患，上报的居民会获得积分。",
    "notify_settings": "通知设置已保存。",
    "notify_retry": "已重新发送。",
    "notify_roster": "通知名单新版本已发布。",
    "notify_templates": "通知模板新版本已发布。",
    "accepted": "已签收，请尽快联系居民并办理。",
    "resolved": "已办结，等待居民评价。",
    "returned": "已退单，社区将改派。",
    "contacted": "已记录联系居民。",
    "extension": "延期申请已提交，等待督办审批。",
    "merged": "已合并到指定工单。",
    "recategorized": "已调整问题类别，建议承办部门随之更新。",
    "suspended": "已暂停办理，所有时限停止计时。",
    "resumed": "已恢复办理，时限顺延。",
    "granted": "已批准延期。",
    "refused": "已驳回延期申请。",
    "policy": "新版时限政策已发布，此后受理的诉求按新版执行。",
    "calendar": "工作日历已更新。",
    "rules": "新版分类关键词已发布，此后的吹哨按新版推荐类别。",
    "assigned": "已分拨到社区，由社区转哨办理。",
    "called": "已记录回访结果。",
    "noted": "备注已保存。",
    "summoned": "已吹哨：相关部门须在时限内到场报到。",
    "checked_in": "已到场报到。",
    "task_done": "已登记任务完成。",
}
# A backend's 4xx, by status code.
REJECTION_TITLES = {
    400: "提交的内容有误",
    403: "没有权限执行此操作",
    404: "没有找到这条记录",
    409: "操作与当前状态冲突",
    422: "提交的内容有误",
    429: "提交过于频繁",
}
# The portal's own 404 and 405.
HTTP_ERROR_TITLES = {404: "页面不存在", 405: "不支持此操作"}

# Photos (我要吹哨's picker and the thumbnails on every ticket); {n} and {max} are filled in by the page.
PHOTO_LABELS = {
    "field": "照片",
    "pick": "添加照片",
    "hint": "最多 {max} 张，支持 JPEG、PNG、WebP，单张不超过 10 MB；照片中的拍摄信息会被清除。",
    "uploading": "正在上传照片…",
    "remove": "删除这张照片",
    "too_many": "最多只能上传 {max} 张照片。",
    "use_location": "使用照片的拍摄位置作为问题位置",
    "location_note": "照片里带有拍摄位置；勾选后才会随诉求提交。",
    "failed": "照片上传未成功，请重试。",
    "offline": "网络异常，照片没有上传，请重试。",
    "photo": "现场照片 {n}",
    "external": "照片链接 {n}",
    "open": "点击查看原图",
}
# Why intake refused an upload, in words a resident understands (by HTTP status).
PHOTO_REJECTIONS = {
    413: "照片：单张照片不能超过 10 MB，请换一张或压缩后再传。",
    422: "照片：只能上传 JPEG、PNG 或 WebP 格式的图片，且最多 9 张；文件损坏或不是图片也无法上传。",
}

# 分类建议 and 疑似重复 (issue 8).
SUGGESTION_LABELS = {
    "auto": "不确定？由系统根据描述推荐",
    "suggested": "推荐类别",
    "use": "采用",
    "none": "暂未识别出类别，提交后由社区分拨",
    "filed_as": "系统根据描述归类",
    "recategorize": "调整分类",
    "recategorize_note": "调整说明（选填）",
    "duplicates": "疑似重复",
    "merge": "合并",
}

# 我要吹哨, 不登录吹哨 and 热线受理 speak of what is being filed: a problem, or a 微心愿. The server renders the words of
# the chosen kind (a preselected ?kind=wish, or a form shown again); static/kind_labels.js swaps them when the kind
# changes. Kinds without their own words (热线's 咨询, 建议) use the problem's.
KIND_TEXT = {
    "problem": {
        "category": "问题类别",
        "category_auto": SUGGESTION_LABELS["auto"],
        "title": "标题",
        "title_placeholder": "一句话说清楚，例如：3号楼门口路面塌陷",
        "description": "详细描述",
        "description_placeholder": "发生了什么、持续多久、影响到谁",
        "hotline_description": "诉求描述",
        "hotline_placeholder": "发生了什么、在哪里、持续多久、影响到谁",
        "address_placeholder": "小区、楼号、单元或附近地标",
    },
    "wish": {
        "category": "心愿类别",
        "category_auto": "微心愿（不确定就选这个）",
        "title": "心愿标题",
        "title_placeholder": "一句话说说心愿，例如：想请人帮忙换灯泡",
        "description": "心愿内容",
        "description_placeholder": "想得到什么帮助、为谁、希望何时实现",
        "hotline_description": "心愿内容",
        "hotline_placeholder": "想得到什么帮助、为谁、希望何时实现、在哪里",
        "address_placeholder": "在哪里实现：小区、楼号、单元",
    },
}
