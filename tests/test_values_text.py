"""Folding words that mix look-alike letters of two scripts (issue 18): real names from public
data write "Peak Еlectronics" with a Cyrillic Е; such a name is read as the company it spells."""

from __future__ import annotations

import pytest

from provenance.values.text import fold_mixed_script, mixed_script


@pytest.mark.parametrize(
    ("written", "folded", "words"),
    [
        # Cyrillic Е in a Latin name: the rest of the name is Latin.
        ("Peak \u0415lectronics", "Peak Electronics", [("\u0415lectronics", "Electronics")]),
        # Cyrillic С before Latin letters, punctuation kept.
        ("LATTEPANDA \u0421omp.", "LATTEPANDA Comp.", [("\u0421omp.", "Comp.")]),
        ("M-SYSTEM \u0421o.,Ltd", "M-SYSTEM Co.,Ltd", [("\u0421o.,Ltd", "Co.,Ltd")]),
        # A Cyrillic letter inside a Latin word.
        ("Pommier Furgo\u0421ar SRL", "Pommier FurgoCar SRL", [("Furgo\u0421ar", "FurgoCar")]),
        # One word, one letter of each script: Latin first on a tie.
        ("\u0422I", "TI", [("\u0422I", "TI")]),
        # Latin letters in a Cyrillic name fold to Cyrillic.
        (
            "\u041e\u0410\u041e \u0418\u043d\u0442\u0435\u0433pa\u043b",
            "\u041e\u0410\u041e \u0418\u043d\u0442\u0435\u0433\u0440\u0430\u043b",
            [
                (
                    "\u0418\u043d\u0442\u0435\u0433pa\u043b",
                    "\u0418\u043d\u0442\u0435\u0433\u0440\u0430\u043b",
                )
            ],
        ),
    ],
)
def test_a_mixed_script_word_folds_to_the_script_of_the_rest_of_the_name(
    written: str, folded: str, words: list[tuple[str, str]]
) -> None:
    assert mixed_script(written) is not None
    result = fold_mixed_script(written)
    assert result is not None
    assert result.text == folded
    assert list(result.words) == words
    assert mixed_script(result.text) is None
    assert "->" in result.describe() and words[0][0] in result.describe()


@pytest.mark.parametrize(
    "written",
    [
        "LM317",  # one script
        "\u041e\u0410\u041e \u0418\u043d\u0442\u0435\u0433\u0440\u0430\u043b",  # all Cyrillic
        "Peak Electronics",
        # Cyrillic Ж has no Latin look-alike: not a look-alike spelling, it is not folded.
        "\u0416lectronics Peak",
    ],
)
def test_text_without_a_foldable_mixed_word_is_not_folded(written: str) -> None:
    assert fold_mixed_script(written) is None
