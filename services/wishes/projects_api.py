"""三张清单 over HTTP: the public lists and projects, publishing by staff, sign-up by volunteers, attendance."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from libs.auth import Principal, require
from libs.runtime import RuntimeDep
from services.wishes import lists, projects
from services.wishes.projects import ProjectPublic, ProjectRequest

router = APIRouter(tags=["projects"])

STAFF = ("community_staff", "supervisor", "admin")
Staff = Annotated[Principal, Depends(require(*STAFF))]
Volunteer = Annotated[Principal, Depends(require("volunteer"))]
Anyone = Annotated[Principal, Depends(require("resident", "grid_worker", "volunteer", *STAFF, "leader"))]
REFUSED: dict[int | str, dict[str, Any]] = {
    409: {"description": "名额已满 / 已报名 / 服务项目已结束 / 已确认过, 不能重复确认; `detail` says why in Chinese"},
}


def _view(runtime, use_case, principal: Principal, **kwargs: Any) -> ProjectPublic:  # noqa: ANN001
    with runtime.unit_of_work(kwargs.get("project_id")) as session:
        project = use_case(session, principal=principal, **kwargs)
        session.flush()
        return projects.project_view(session, project, principal)


@router.get("/public/communities/{community_id}/lists", response_model=lists.CommunityLists,
            summary="三张清单: needs, resources and projects of a community, public (no names of people)")
def community_lists(community_id: str, runtime: RuntimeDep) -> lists.CommunityLists:
    return runtime.read(lists.community_lists, community_id=community_id)


@router.get("/public/communities/{community_id}/projects", response_model=list[ProjectPublic], summary="项目清单: projects to come (public)")
def upcoming(community_id: str, runtime: RuntimeDep) -> list[ProjectPublic]:
    def read(session):  # noqa: ANN001, ANN202
        return [projects.project_view(session, p, None) for p in projects.of_community(session, community_id=community_id, upcoming_only=True)]
    return runtime.read(read)


@router.get("/communities/{community_id}/projects", response_model=list[ProjectPublic],
            summary="The community's projects, past ones too, with who signed up (staff)")
def of_community(community_id: str, principal: Staff, runtime: RuntimeDep) -> list[ProjectPublic]:
    def read(session):  # noqa: ANN001, ANN202
        projects.check_staff_scope(projects.actor_of(principal), community_id)
        rows = projects.of_community(session, community_id=community_id, upcoming_only=False, limit=200)
        return [projects.project_view(session, p, principal) for p in reversed(rows)]
    return runtime.read(read)


@router.post("/communities/{community_id}/projects", response_model=ProjectPublic, status_code=201, summary="发布服务项目 (staff)")
def publish(community_id: str, body: ProjectRequest, principal: Staff, runtime: RuntimeDep) -> ProjectPublic:
    return _view(runtime, projects.publish, principal, community_id=community_id, body=body)


@router.get("/me/projects", response_model=list[ProjectPublic], summary="我报名的服务项目")
def my_projects(principal: Volunteer, runtime: RuntimeDep) -> list[ProjectPublic]:
    return runtime.read(projects.mine, principal=principal)


@router.post("/projects/{project_id}/signup", response_model=ProjectPublic, summary="报名 (a confirmed volunteer or unit)", responses=REFUSED)
def sign_up(project_id: str, principal: Volunteer, runtime: RuntimeDep) -> ProjectPublic:
    return _view(runtime, projects.sign_up, principal, project_id=project_id)


@router.post("/projects/{project_id}/withdraw", response_model=ProjectPublic, summary="取消报名 before it starts", responses=REFUSED)
def withdraw(project_id: str, principal: Volunteer, runtime: RuntimeDep) -> ProjectPublic:
    return _view(runtime, projects.withdraw, principal, project_id=project_id)


@router.post("/projects/{project_id}/signups/{signup_id}/attended", response_model=ProjectPublic,
             summary="确认到场: credits the project's hours and points once (staff)", responses=REFUSED)
def attended(project_id: str, signup_id: str, principal: Staff, runtime: RuntimeDep) -> ProjectPublic:
    return _view(runtime, projects.confirm_attendance, principal, project_id=project_id, signup_id=signup_id)


@router.post("/projects/{project_id}/cancel", response_model=ProjectPublic, summary="取消服务项目 (staff)", responses=REFUSED)
def cancel(project_id: str, principal: Staff, runtime: RuntimeDep) -> ProjectPublic:
    return _view(runtime, projects.cancel, principal, project_id=project_id)
