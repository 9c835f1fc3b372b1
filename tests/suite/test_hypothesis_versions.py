"""The tests run under Debian 12's hypothesis 6.67 too (`make test`'s Debian
stage): arguments added to hypothesis later must not be used."""

from __future__ import annotations

import pathlib
import re

import pytest

TESTS = pathlib.Path(__file__).parent.parent
# Arguments of st.characters newer than hypothesis 6.67, and what to use.
NEWER = {
    "codec": "blacklist_categories=('Cs',) for text UTF-8 can encode",
    "exclude_categories": "blacklist_categories",
    "include_categories": "whitelist_categories",
    "exclude_characters": "blacklist_characters",
    "include_characters": "whitelist_characters",
}
ARGUMENT = re.compile(r"\b(" + "|".join(NEWER) + r")\s*=")
FILES = sorted(
    str(path.relative_to(TESTS))
    for path in TESTS.rglob("*.py")
    if path.name != pathlib.Path(__file__).name
)


def code_of(text: str) -> str:
    """The text without its comments."""
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


@pytest.mark.parametrize("name", FILES)
def test_no_hypothesis_argument_newer_than_debian_12s(name):
    found = ARGUMENT.findall(code_of((TESTS / name).read_text(encoding="utf-8")))
    assert not found, f"{name} uses {found}: use {[NEWER[w] for w in found]}"


def test_the_check_finds_a_newer_argument():
    assert ARGUMENT.findall(code_of('st.characters(codec="utf-8")  # codec=')) == [
        "codec"
    ]
