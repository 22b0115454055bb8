"""分类建议: jieba segmentation plus the admins' weighted keyword rules rank categories and say which words matched."""
from __future__ import annotations

import pytest

from libs.directory import get_directory
from services.intake.suggest import CategoryRules, RulesRejected, Suggester, load_rules_file


@pytest.fixture(scope="module")
def suggester() -> Suggester:
    return Suggester(load_rules_file(get_directory()))


def rules(categories: dict, fallback: str = "other", version: int = 2) -> CategoryRules:
    return CategoryRules.parse({"version": version, "fallback": fallback, "categories": categories}, get_directory())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("小区门口路面塌陷，井盖也丢了", "road"),
        ("楼上装修噪音太大，晚上还在施工", "noise"),
        ("垃圾桶满了三天没人清运", "garbage"),
        ("家里暖气不热，温度只有十几度", "heating"),
        ("厨房水管漏水，楼下也被淹了", "water_supply"),
        ("电梯坏了一个星期物业不管", "property"),
        ("独居老人需要助餐服务", "elderly"),
        ("我的微心愿是给孩子一个新书包", "wish"),
    ],
)
def test_the_shipped_rules_put_an_everyday_complaint_in_its_category(suggester, text, expected):
    assert suggester.suggest(text)[0].category == expected


def test_the_reason_names_the_words_that_matched(suggester):
    top = suggester.suggest("井盖丢失，路面塌陷")[0]
    assert top.category == "road"
    assert set(top.matched) == {"井盖", "路面", "塌陷"}
    assert top.reason.startswith("匹配关键词：") and "井盖" in top.reason


def test_a_keyword_counts_once_however_often_it_is_written():
    s = Suggester(rules({"road": {"井盖": 3}, "noise": {"噪音": 2, "装修": 2}}))
    ranked = s.suggest("井盖井盖井盖井盖，装修噪音")
    assert [r.category for r in ranked] == ["noise", "road"]
    assert ranked[0].score == 4 and ranked[1].score == 3


def test_weights_decide_between_categories_that_both_match():
    s = Suggester(rules({"garbage": {"堆放": 1}, "property": {"楼道": 5}}))
    assert [r.category for r in s.suggest("楼道里杂物堆放")] == ["property", "garbage"]


def test_equal_scores_keep_the_order_of_the_rules():
    s = Suggester(rules({"noise": {"施工": 2}, "road": {"道路": 2}}))
    assert [r.category for r in s.suggest("道路施工")] == ["noise", "road"]


def test_a_multi_character_keyword_is_matched_as_one_word_not_by_its_parts():
    s = Suggester(rules({"garbage": {"建筑垃圾": 3}, "road": {"建筑": 1}}))
    top = s.suggest("小区里堆了很多建筑垃圾")[0]
    assert top.category == "garbage" and top.matched == ("建筑垃圾",)


def test_a_keyword_inside_another_word_does_not_match():
    """Segmentation, not substring search: 水 is not found in 水果店 (a fruit shop is no water problem)."""
    s = Suggester(rules({"water_supply": {"水": 2}}))
    assert s.suggest("楼下新开了一家水果店") == []
    assert s.suggest("家里没有水了")[0].matched == ("水",)


def test_text_without_any_keyword_gets_the_fallback_with_a_reason_saying_so(suggester):
    assert suggester.suggest("请问社区办事大厅几点开门") == []
    category, reason = suggester.choose("请问社区办事大厅几点开门")
    assert category == "other" and "未匹配" in reason


def test_choose_takes_the_top_suggestion_and_its_reason(suggester):
    category, reason = suggester.choose("马路上有个大坑洼")
    assert category == "road" and "坑洼" in reason


def test_the_limit_caps_the_ranking(suggester):
    assert len(suggester.suggest("装修噪音，垃圾堆放，电梯坏了，井盖丢失", limit=2)) == 2


def test_empty_text_suggests_nothing(suggester):
    assert suggester.suggest("") == [] and suggester.suggest("，。！") == []


def test_the_shipped_file_is_version_1_and_names_only_known_categories():
    shipped = load_rules_file(get_directory())
    known = {c.id for c in get_directory().categories}
    assert shipped.version == 1 and shipped.fallback in known and set(shipped.categories) <= known


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"version": 2, "fallback": "other", "categories": {"parking": {"停车": 1}}}, "categories.parking"),
        ({"version": 2, "fallback": "nowhere", "categories": {"road": {"路": 1}}}, "fallback"),
        ({"version": 0, "fallback": "other", "categories": {"road": {"路": 1}}}, "version"),
        ({"version": 2, "fallback": "other", "categories": {"road": {"井盖": 0}}}, "categories.road.井盖"),
        ({"version": 2, "fallback": "other", "categories": {"road": {"井盖": "heavy"}}}, "categories.road.井盖"),
        ({"version": 2, "fallback": "other", "categories": {"road": {"井 盖": 1}}}, "categories.road.井 盖"),
        ({"version": 2, "fallback": "other", "categories": {"road": ["井盖"]}}, "categories.road"),
        ({"version": 2, "fallback": "other", "categories": {}}, "categories"),
        ({"version": 2, "fallback": "other", "categories": {"road": {"路": 1}}, "extra": 1}, "extra"),
        (["road"], "document"),
    ],
)
def test_a_bad_rules_document_is_refused_naming_the_key(document, field):
    with pytest.raises(RulesRejected) as refused:
        CategoryRules.parse(document, get_directory())
    assert str(refused.value).startswith(f"{field}:")
    assert refused.value.status_code == 422
