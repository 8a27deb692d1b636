"""Report references: the portal's prefix and eight characters of Crockford's base 32."""

from __future__ import annotations

import re

from hotline.intake.references import ALPHABET, new_reference


def test_a_reference_reads_as_prefix_and_two_groups_of_four() -> None:
    assert re.fullmatch(r"TN-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", new_reference("TN"))


def test_every_character_of_the_alphabet_turns_up_in_every_place() -> None:
    # 40 random bits, all of them used: in 2,000 draws each place shows all 32 characters
    # (that one place misses one by chance: about 1 in 10^25).
    draws = [new_reference("MA").replace("-", "")[2:] for _ in range(2000)]
    for place in range(8):
        assert {draw[place] for draw in draws} == set(ALPHABET)
