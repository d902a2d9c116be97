from senda.core.text import fold, tokens


def test_fold_strips_accents_and_case() -> None:
    assert fold("Vacunación") == "vacunacion"
    assert fold("ÑANDÚ Güero") == "nandu guero"


def test_tokens_drop_stopwords_and_punctuation() -> None:
    assert tokens("Atención de la salud, ¡gratis!") == ["atencion", "salud", "gratis"]
