"""A grid worker's grids (网格员 grid_ids): from config/demo_users.yaml into the portal account, its token's claims and
back; a demo user with a grid outside their community is refused; an account without grids carries no claim."""
from __future__ import annotations

from pathlib import Path

import pytest

from libs.auth import decode_token, mint_token
from libs.db import make_engine
from services.portal.users import UserStore, load_demo_users


@pytest.fixture
def store(tmp_path: Path, monkeypatch) -> UserStore:
    monkeypatch.setattr("services.portal.users.HASH_ITERATIONS", 1000)
    store = UserStore(make_engine(f"sqlite:///{tmp_path / 'portal.db'}"))
    store.migrate()
    store.seed(load_demo_users())
    return store


def test_a_demo_grid_worker_logs_in_with_their_grids_in_the_token(store: UserStore) -> None:
    grid1 = store.authenticate("grid1", "whistle123")
    assert grid1 is not None and grid1.grid_ids == ["xinran-01", "xinran-02"]
    principal = decode_token(mint_token(grid1.principal()))
    assert (principal.role, principal.community_id, principal.grid_ids) == ("grid_worker", "xinran", ["xinran-01", "xinran-02"])
    other = store.get("grid2")
    assert other is not None and other.community_id == "jiamenkou" and other.grid_ids == ["jiamenkou-01", "jiamenkou-02"]


def test_an_account_without_grids_has_no_grid_claim(store: UserStore) -> None:
    resident = store.get("resident1")
    assert resident is not None and resident.grid_ids is None
    assert "grid_ids" not in resident.principal().model_dump(exclude_none=True)
    assert decode_token(mint_token(resident.principal())).grid_ids is None


def test_a_demo_grid_worker_with_a_grid_of_another_community_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    path.write_text(
        "default_password: x\nusers:\n"
        "  - {username: g, name: 网格员, role: grid_worker, community_id: xinran, grid_ids: [jiamenkou-01]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="grid 'jiamenkou-01' outside their community"):
        load_demo_users(path)
