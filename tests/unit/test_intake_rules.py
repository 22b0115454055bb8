"""Intake's filing rules: placement by grid or community (else the street's triage queue), phone masking, idempotency fingerprints."""
import pytest

from libs.directory import get_directory
from services.intake.domain import FilingRejected, mask_phone, request_fingerprint, resolve_placement


def test_grid_decides_the_community():
    assert resolve_placement(get_directory(), category="road", community_id=None, grid_id="shiliuqiao-02", fallback_community=None) == (
        "shiliuqiao", "shiliuqiao-02", "ordinary",
    )


def test_grid_and_community_must_agree():
    with pytest.raises(FilingRejected, match="community_id: grid 'xinran-01' belongs to 'xinran'"):
        resolve_placement(get_directory(), category="road", community_id="jiamenkou", grid_id="xinran-01", fallback_community=None)


def test_residents_own_community_is_the_default():
    assert resolve_placement(get_directory(), category="heating", community_id=None, grid_id=None, fallback_community="xinran") == (
        "xinran", None, "urgent",
    )


def test_unknown_category_names_the_field_and_the_known_ones():
    with pytest.raises(FilingRejected, match="category: unknown category 'ufo'; known: road"):
        resolve_placement(get_directory(), category="ufo", community_id="xinran", grid_id=None, fallback_community=None)


def test_a_filing_nothing_places_goes_to_the_streets_triage_queue_not_refused():
    directory = get_directory()
    assert resolve_placement(directory, category="road", community_id=None, grid_id=None, fallback_community=None) == (
        directory.triage_scope, None, "ordinary",
    )


def test_an_unknown_community_named_by_the_filing_is_still_refused():
    with pytest.raises(FilingRejected, match="community_id: unknown community 'atlantis'"):
        resolve_placement(get_directory(), category="road", community_id="atlantis", grid_id=None, fallback_community=None)


def test_phone_is_masked():
    assert mask_phone("138 1234 5678") == "138****5678"
    assert mask_phone(None) is None


def test_fingerprint_ignores_key_order_but_not_content():
    assert request_fingerprint({"a": 1, "b": 2}) == request_fingerprint({"b": 2, "a": 1})
    assert request_fingerprint({"a": 1}) != request_fingerprint({"a": 2})


def test_a_one_character_title_from_free_text_is_replaced_by_the_start_of_the_description():
    """An SMS or WeChat description whose first line is one character would leave a title no list can show."""
    from libs.events import Actor
    from services.intake.filing import FileTicket

    def command(title: str, description: str) -> FileTicket:
        return FileTicket(channel="sms", actor=Actor(role="resident", id="m-1"), filed_by="m-1", idempotency_key="k1",
                          title=title, description=description)

    assert command("路", "路\n灯坏了三天").title == "路 灯坏了三天"
    assert command("  ", "楼道灯不亮，晚上看不见路，老人上下楼很危险，请尽快修一下谢谢大家").title == "楼道灯不亮，晚上看不见路，老人上下楼很危险，请尽快修一下谢谢"
    assert command("x", "y").title == "未填写标题"
    assert command("楼道灯不亮", "三楼").title == "楼道灯不亮"
