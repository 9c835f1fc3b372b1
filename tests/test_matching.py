"""The matching rule, case by case."""

from __future__ import annotations

import pytest

from mopidy_mtscrobble.matching import artist_key, match_key, same_song

SAME = [
    # release variants of the same recording
    (("The Beatles", "Let It Be"), ("The Beatles", "Let It Be - Remastered 2009")),
    (("The Beatles", "Let It Be"), ("The Beatles", "Let It Be (2009 Remaster)")),
    (("Queen", "Bohemian Rhapsody"), ("Queen", "Bohemian Rhapsody - Remastered 2011")),
    (("The Beach Boys", "God Only Knows"), ("The Beach Boys", "God Only Knows (Mono)")),
    (("The Beach Boys", "God Only Knows"), ("Beach Boys", "God Only Knows [Stereo]")),
    (("Prince", "Kiss"), ("Prince", "Kiss (Single Version)")),
    (("Prince", "Kiss"), ("Prince", "Kiss - Album Version")),
    (("Eminem", "Lose Yourself"), ("Eminem", "Lose Yourself [Explicit]")),
    (("Eminem", "Lose Yourself"), ("Eminem", "Lose Yourself (Clean)")),
    (("Adele", "Hello"), ("Adele", "Hello (Deluxe Edition)")),
    (("Muse", "Uprising"), ("Muse", "Uprising (Bonus Track)")),
    (("Oasis", "Wonderwall"), ("Oasis", "Wonderwall (Radio Edit)")),
    (("Oasis", "Wonderwall"), ("Oasis", "Wonderwall - Radio Edit")),
    # names equal up to case, whitespace, Unicode form, width, quotes, dashes
    (("radiohead", "karma police"), ("Radiohead", "Karma  Police")),
    (("Ｒａｄｉｏｈｅａｄ", "Ｃｒｅｅｐ"), ("Radiohead", "Creep")),
    (("Björk", "Jóga"), ("Bjo\u0308rk", "Jo\u0301ga")),  # composed vs decomposed
    (("Bjork", "Joga"), ("Björk", "Jóga")),  # missing diacritics
    (("Guns N' Roses", "Sweet Child O' Mine"), ("Guns N’ Roses", "Sweet Child O’ Mine")),
    (("Jay-Z", "99 Problems"), ("Jay–Z", "99 Problems")),
    (("Simon & Garfunkel", "The Boxer"), ("Simon and Garfunkel", "The Boxer")),
    (("Florence + the Machine", "Dog Days"), ("Florence and The Machine", "Dog Days")),
    (("The The", "Uncertain Smile"), ("The, The", "Uncertain Smile")),
    (("Smiths, The", "How Soon Is Now?"), ("The Smiths", "How Soon Is Now?")),
    (("Smiths", "How Soon Is Now?"), ("The Smiths", "How Soon Is Now")),
    # featured artists in the artist or in the title
    (("Daft Punk", "Get Lucky"), ("Daft Punk feat. Pharrell Williams", "Get Lucky")),
    (("Daft Punk", "Get Lucky"), ("Daft Punk", "Get Lucky (feat. Pharrell Williams)")),
    (("Daft Punk ft. Pharrell", "Get Lucky"), ("Daft Punk", "Get Lucky [ft. Pharrell]")),
    (("Calvin Harris", "This Is What You Came For"),
     ("Calvin Harris featuring Rihanna", "This Is What You Came For")),
    (("Santana", "Smooth"), ("Santana (feat. Rob Thomas)", "Smooth")),
    (("Santana", "Smooth"), ("Santana", "Smooth - feat. Rob Thomas")),
]  # fmt: skip

DIFFERENT = [
    # other recordings
    (("Nirvana", "About a Girl"), ("Nirvana", "About a Girl (Live)")),
    (("Nirvana", "About a Girl"), ("Nirvana", "About a Girl - Live at MTV Unplugged")),
    (("Nirvana", "About a Girl (Live)"), ("Nirvana", "About a Girl (Acoustic)")),
    (("Eric Clapton", "Layla"), ("Eric Clapton", "Layla (Unplugged)")),
    (("Depeche Mode", "Enjoy the Silence"), ("Depeche Mode", "Enjoy the Silence (Remix)")),
    (("Depeche Mode", "Enjoy the Silence"),
     ("Depeche Mode", "Enjoy the Silence - Hands and Feet Mix Remix")),
    (("Weezer", "Buddy Holly"), ("Weezer", "Buddy Holly (Demo)")),
    (("Moby", "Porcelain"), ("Moby", "Porcelain (Instrumental)")),
    (("ABBA", "Dancing Queen"), ("ABBA", "Dancing Queen (Karaoke Version)")),
    (("Johnny Cash", "Hurt"), ("Johnny Cash", "Hurt (Cover)")),
    # covers: another performing artist
    (("Nine Inch Nails", "Hurt"), ("Johnny Cash", "Hurt")),
    # other songs
    (("Queen", "Bohemian Rhapsody"), ("Queen", "Bohemian Rhapsody Part 2")),
    (("Pink Floyd", "Another Brick in the Wall (Part 1)"),
     ("Pink Floyd", "Another Brick in the Wall (Part 2)")),
    (("Simon & Garfunkel", "The Boxer"), ("Simon", "The Boxer")),
    (("The Beatles", "Help!"), ("The Beatles", "Helter Skelter")),
]  # fmt: skip


@pytest.mark.parametrize(("a", "b"), SAME)
def test_same_song(a, b):
    assert same_song(*a, *b)
    assert same_song(*b, *a)


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_recording_or_song(a, b):
    assert not same_song(*a, *b)
    assert not same_song(*b, *a)


def test_the_key_names_the_recording_kind():
    assert match_key("Nirvana", "About a Girl (Live)").recording == frozenset({"live"})
    assert match_key("Nirvana", "About a Girl").recording == frozenset()


def test_a_leading_the_is_kept_when_it_is_the_whole_name():
    assert artist_key("The") == "the"


def test_words_like_live_in_the_title_itself_are_the_name_not_a_recording_kind():
    assert match_key("Oasis", "Live Forever").recording == frozenset()
    assert same_song("Oasis", "Live Forever", "Oasis", "Live Forever - Remastered")
    assert not same_song("Oasis", "Live Forever", "Oasis", "Live Forever (Live)")


def test_a_dash_that_is_part_of_the_name_is_kept():
    assert not same_song("Band", "Intro - The Beginning", "Band", "Intro")
    assert same_song("Band", "Intro - The Beginning", "Band", "Intro – The Beginning")
