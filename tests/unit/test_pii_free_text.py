"""A phone number typed into a ticket's title or description is masked before the text is stored or leaves intake
(found by the PII scan of the e2e stack: a 微心愿 said 联系13700137000, and the number rode TicketFiled onto Kafka)."""
from __future__ import annotations

import pytest

from libs.pii import mask_phones_in_text


@pytest.mark.parametrize(("typed", "kept"), [
    ("家里收音机坏了，联系13700137000", "家里收音机坏了，联系137****7000"),
    ("电话 138-1234-5678，或打 010-12345678", "电话 138****5678，或打 010****5678"),
    ("+86 139 1234 5678 找王师傅", "139****5678 找王师傅"),
    ("工单 T20261127-7E6E38AD 还没人管", "工单 T20261127-7E6E38AD 还没人管"),  # ids, dates and long numbers stay
    ("订单号20261127000123，3号楼", "订单号20261127000123，3号楼"),
    (None, None),
])
def test_numbers_in_free_text_are_masked_and_nothing_else(typed, kept):
    assert mask_phones_in_text(typed) == kept
