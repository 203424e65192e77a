"""ledger.text.fold: one character for one character, the same for a text however often it is folded."""
import unicodedata

from hypothesis import given, strategies as st

from ledger.text import FOLD_KEPT_CHARS, fold

LITHUANIAN = "ąčęėįšųūžĄČĘĖĮŠŲŪŽ"
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)) | st.sampled_from(LITHUANIAN + "İẞ"),
                max_size=60)


def reference_fold(text: str) -> str:
    """The fold spelled out a character at a time, as the module's docstring defines it."""
    out = []
    for c in text:
        base = unicodedata.normalize("NFD", c)[0] if c in LITHUANIAN + "äöüõåéèêáàóòôíìúùçñńśźżÄÖÜÕÅÉÈÊÁÀÓÒÔÍÌÚÙÇÑŃŚŹŻ" \
            else {"ł": "l", "Ł": "L"}.get(c, c)
        low = base.lower()
        if len(low) != 1:
            low = unicodedata.normalize("NFD", c)[0].lower()
            low = low if len(low) == 1 else c
        out.append(low)
    return "".join(out)


@given(texts)
def test_fold_keeps_length_and_matches_the_per_character_fold(text):
    assert fold(text) == reference_fold(text)
    assert len(fold(text)) == len(text)


@given(texts)
def test_folding_again_gives_the_same_answer(text):
    assert fold(text) == fold(text) == reference_fold(text)


def test_lithuanian_and_ascii_lines():
    assert fold("Muitinės įstaigos: LTVR1000") == "muitines istaigos: ltvr1000"
    assert fold("EORI kodas") == "eori kodas"


def test_a_text_folded_again_is_not_folded_again():
    """The body is folded by each detector and the labels in every message: the second fold is the kept one."""
    text = "Prašymas taikyti veiklos tęstinumo procedūrą, nuo 2026-11-02"
    assert fold(text) is fold(text)


def test_a_long_text_is_folded_but_not_kept():
    text = "Ž" * (FOLD_KEPT_CHARS + 1)
    assert fold(text) == "z" * len(text)
    assert fold(text) is not fold(text)
