"""吹哨报到 on dispatch: POST /tickets/{ticket_id}/summons for community staff of the ticket's community and the street's
supervisors."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from libs.auth import Principal, require
from libs.runtime.listing import TicketActions
from services.dispatch.commands.summons import summon_departments
from services.dispatch.models import DispatchTicketPublic
from services.dispatch.summons_models import SummonsRequest

summons = APIRouter(tags=["summons"])
Summoner = Annotated[Principal, Depends(require("community_staff", "supervisor"))]

TicketActions(summons, Summoner, DispatchTicketPublic).add(
    "summons", summon_departments, SummonsRequest,
    summary="吹哨报到: summon a lead department and co-departments on site (the ticket's `summons` lists it)",
    responses={
        403: {"description": "another community's ticket, or a supervisor of another street"},
        409: {"description": "the ticket is not open, suspended, held by another department than the lead, or a summons runs"},
        422: {"description": "unknown department, no co-department, a co-department twice or also the lead"},
    },
)
