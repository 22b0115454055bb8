"""The portal's pages, one module per kind of user; `ROUTERS` is what app.py includes, in this order."""
from __future__ import annotations

from services.portal.pages import admin, callbacks, console, contact, dashboard, devtools, grid, guest, hotline, photos, resident, session, signup, supervision, triage, worklist

from services.portal.pages import wish_people, wishes  # noqa: E402 - 微心愿

from services.portal.pages import inbox, notify_admin  # noqa: E402 - 站内信, 通知管理

from services.portal.pages import story  # noqa: E402 - 一件诉求的全过程

from services.portal.pages import audit, public, reference, users_admin  # noqa: E402 - 审计, 政务公开, 基础数据, 用户与权限

from services.portal.pages import projects, rewards  # noqa: E402 - 三张清单, 积分兑换

from services.portal.pages import summons  # noqa: E402 - 吹哨报到

ROUTERS = (
    session.router,
    signup.router,  # /register (手机号注册) and /login/sms (短信验证码登录): public
    guest.router,  # /report and /follow: public, no login (不登录吹哨, 查询进度)
    resident.router,
    photos.router,  # /file/photos and /attachments/...: photos through the viewer's own token
    grid.router,  # 我的网格 (grid workers) and the filing form's map (/file/grids, /file/locate)
    console.router,
    worklist.router,
    summons.router,  # 吹哨报到: the console's summons form, the departments' tasks, 到场报到 and 任务完成
    contact.router,  # 查看完整号码 on the console and the worklist
    callbacks.router,  # 电话回访: tickets whose rating window passed unrated
    supervision.router,
    triage.router,
    admin.router,
    reference.router,  # 系统设置 · 基础数据: streets, communities, grids, departments, categories and routing
    users_admin.router,  # 系统设置 · 用户与权限: accounts, roles, scope, 停用/启用, change history
    audit.router,  # 审计: every action on a ticket (leaders, admins)
    public.router,  # 政务公开: monthly rates and rankings, wishes, points (no login, aggregates only)
    dashboard.router,
    hotline.router,  # 热线受理: 12345 operators
    story.router,  # /staff/tickets/{id}: 一件诉求的全过程 for staff
    wishes.router,  # 心愿墙 (public) and 志愿服务 (volunteers)
    wish_people.router,  # 我的心愿 (wishers) and 心愿审核 (community staff)
    rewards.router,  # 积分兑换 (residents, volunteers) and 兑换核销 (community staff)
    projects.router,  # 三张清单 (public; volunteers sign up) and 服务项目 (community staff)
    inbox.router,  # 站内信 and 通知设置: every signed-in person
    notify_admin.router,  # 通知管理: dead letters, message log, roster and templates
    devtools.router,  # /dev/sms: development only
)
