"""The texts are written in Spanish in the code: the es_CO catalog may only leave a text as it is.
A merge that filled in a neighbour's text (``pybabel update``'s fuzzy guesses) would show
«Estudio» where the page says «Destino»."""

from babel.messages.pofile import read_po

from tests.conftest import ROOT

CATALOG = ROOT / "web" / "translations" / "es_CO" / "LC_MESSAGES" / "messages.po"


def test_every_catalog_entry_is_empty_or_the_text_itself() -> None:
    with CATALOG.open("rb") as source:
        catalog = read_po(source)
    wrong = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or any(text and text not in ids for text in strings):
            wrong.append((ids[0], strings[0]))
    assert wrong == []
