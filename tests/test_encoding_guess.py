"""The legacy code page guess and `language: auto`.

A file that is not UTF-8 is read in the code page whose reading is the most plausible
text, with the configured language as a prior only: a Spanish cp1252 file configured as
English is Spanish. With `auto` the rules get the language guessed from the text, and the
sidecar says what was guessed and how surely.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import CORPUS, corpus_files, needs_corpus

from srtbuild.config import Settings, parse_config
from srtbuild.errors import ConfigError, SubtitleError
from srtbuild.processor import correct
from srtbuild.subtitles import read_bytes
from srtbuild.subtitles.encoding import decode

# Everyday subtitle lines, written for these tests, and the code page such a file was
# usually saved in.
SAMPLES = {
    "es": ("cp1252", ["¿Dónde estabas anoche?", "No lo sé, creo que en casa de mi tío.",
                      "Hace años que no veo a tu familia.", "¡Qué sorpresa! Mañana es su cumpleaños.",
                      "El niño pequeño está durmiendo."]),
    "fr": ("cp1252", ["Où étais-tu hier soir ?", "Je ne sais pas, c'était déjà très tard.",
                      "Ça fait longtemps que je ne l'ai pas vu.", "Il faut que tu manges quelque chose, mon cœur.",
                      "Le garçon est allé à l'école à pied."]),
    "de": ("cp1252", ["Wo warst du gestern Abend?", "Ich weiß es nicht, es war schon spät.",
                      "Das Mädchen hat die Tür geöffnet.", "Wir müssen über die Größe sprechen.",
                      "Für mich ist das völlig in Ordnung."]),
    "pl": ("cp1250", ["Gdzie byłeś wczoraj wieczorem?", "Nie wiem, było już bardzo późno.",
                      "Dziękuję za pomoc, to było miłe.", "Musimy porozmawiać o tej sprawie.",
                      "Dziewczyna zaśpiewała piękną piosenkę."]),
    "cs": ("cp1250", ["Kde jsi byl včera večer?", "Nevím, bylo už příliš pozdě.",
                      "Děkuji za pomoc, bylo to hezké.", "Musíme si promluvit o té věci.",
                      "Dívka zpívala krásnou píseň."]),
    "ru": ("cp1251", ["Где ты был вчера вечером?", "Не знаю, было уже очень поздно.",
                      "Спасибо за помощь, это было мило.", "Нам нужно поговорить об этом деле.",
                      "Девушка спела красивую песню."]),
    "el": ("cp1253", ["Πού ήσουν χθες το βράδυ;", "Δεν ξέρω, ήταν ήδη πολύ αργά.",
                      "Ευχαριστώ για τη βοήθεια, ήταν ωραίο.", "Πρέπει να μιλήσουμε για αυτό το θέμα.",
                      "Το κορίτσι τραγούδησε ένα όμορφο τραγούδι."]),
    "tr": ("cp1254", ["Dün akşam neredeydin?", "Bilmiyorum, çok geç olmuştu.",
                      "Yardımın için teşekkür ederim.", "Bu konu hakkında konuşmamız gerek.",
                      "Kız güzel bir şarkı söyledi."]),
}
# The same language in other code pages its files come in.
OTHER_PAGES = [("ru", "koi8_r"), ("ru", "cp866"), ("pl", "iso8859_2"), ("cs", "iso8859_2")]
CASES = [(lang, page) for lang, (page, _) in SAMPLES.items()] + OTHER_PAGES


def srt_text(lines: list[str]) -> str:
    return "".join(f"{i}\n00:00:{i:02d},000 --> 00:00:{i:02d},900\n{t}\n\n" for i, t in enumerate(lines, 1))


@pytest.mark.parametrize("configured", ["en", "auto"])
@pytest.mark.parametrize("lang,page", CASES, ids=[f"{lang}-{page}" for lang, page in CASES])
def test_a_legacy_file_decodes_in_its_code_page_whatever_the_configured_language(lang, page, configured):
    text = srt_text(SAMPLES[lang][1])
    doc = read_bytes(text.encode(page), f"{lang}.srt", language=configured)
    assert [c.text for c in doc.cues] == SAMPLES[lang][1]
    assert doc.encoding == page and 0 < doc.encoding_confidence <= 1
    assert doc.language == (lang if configured == "auto" else None)


@pytest.mark.parametrize("configured", ["en", "auto"])
@pytest.mark.parametrize("lang,page", CASES, ids=[f"{lang}-{page}" for lang, page in CASES])
def test_one_short_line_decodes_too(lang, page, configured):
    line = SAMPLES[lang][1][0]
    doc = read_bytes(srt_text([line]).encode(page), f"{lang}.srt", language=configured)
    assert doc.cues[0].text == line


def test_spanish_in_cp1252_configured_as_english_is_not_read_as_central_european():
    # cp1250 reads these bytes as `żdónde` and `ańos`; the language setting is only a prior.
    data = srt_text(["¿dónde?", "Hace años."]).encode("cp1252")
    doc = read_bytes(data, "es.srt", language="en")
    assert doc.encoding == "cp1252" and [c.text for c in doc.cues] == ["¿dónde?", "Hace años."]


def test_the_configured_language_settles_a_near_tie():
    # `è` (cp1252) and `č` (cp1250) are both letters of many languages: one word decides nothing.
    data = srt_text(["Très"]).encode("cp1252")
    assert read_bytes(data, language="fr").encoding == "cp1252"
    assert read_bytes(data, language="cs").cues[0].text == "Trčs"


def test_a_pure_ascii_file_is_utf8_and_certain():
    data = srt_text(["Hello there", "We'll see you tomorrow, I think."]).encode("ascii")
    for configured in ("en", "fr", "auto"):
        doc = read_bytes(data, "a.srt", language=configured)
        assert doc.encoding == "utf-8" and doc.encoding_confidence == 1.0
        assert not any("decoded as" in w.message for w in doc.warnings)
    assert read_bytes(data, language="auto").language == "en"
    assert read_bytes(data, language="en").language is None


def test_the_configured_encoding_and_byte_order_marks_are_certain():
    data = srt_text(["Привет"]).encode("cp1251")
    assert read_bytes(data, encoding="koi8_r").encoding_confidence == 1.0
    assert read_bytes(b"\xef\xbb\xbf" + srt_text(["Hi"]).encode()).encoding_confidence == 1.0


def test_the_guess_is_reported_with_its_confidence():
    data = srt_text(SAMPLES["de"][1]).encode("cp1252")
    decoded = decode(data, "de.srt", None, "en")
    assert decoded.encoding == "cp1252" and 0.5 <= decoded.confidence <= 1
    (note,) = decoded.warnings
    assert note.message == f"not UTF-8; decoded as cp1252 (guessed from the text, confidence {decoded.confidence:.2f})"


@pytest.mark.parametrize("lang,text", [
    ("en", "I think we should go home now. What is this? It was not the plan."),
    ("fr", "Je ne sais pas ce qu'il veut, mais il est dans la maison avec les enfants."),
    ("de", "Ich weiß nicht, was er will, aber er ist mit den Kindern im Haus und wir auch."),
    ("es", "No sé lo que quiere, pero está en la casa con los niños y con su madre."),
    ("it", "Non so che cosa vuole, ma questo è il problema della casa per gli amici."),
    ("pt", "Não sei o que ele quer, mas você está em casa com os meninos e isso é muito bom."),
    ("nl", "Ik weet niet wat hij wil, maar het is een huis en ik ben er ook niet."),
    ("ru", "Я не знаю, чего он хочет, но он дома с детьми."),
    ("el", "Δεν ξέρω τι θέλει, αλλά είναι στο σπίτι με τα παιδιά."),
    ("zh", "我不知道他想要什么，但是他和孩子们在家。"),
    ("ja", "彼が何を望んでいるのかわからないけど、子供たちと家にいる。"),
    ("ko", "그가 무엇을 원하는지 모르겠지만 아이들과 집에 있어요."),
])
def test_auto_guesses_the_language_of_utf8_text(lang, text):
    doc = read_bytes(srt_text([text, text]).encode("utf-8"), language="auto")
    assert doc.encoding == "utf-8" and doc.language == lang


def test_auto_is_english_when_unsure():
    doc = read_bytes(srt_text(["OK", "42"]).encode(), language="auto")
    assert doc.language == "en"


def test_language_auto_is_a_valid_setting(tmp_path):
    settings = parse_config("language: auto\n", str(tmp_path / "srtbuild.yaml"), tmp_path)
    assert settings.language == "auto"
    with pytest.raises(ConfigError, match="or auto"):
        parse_config("language: automatic\n", str(tmp_path / "srtbuild.yaml"), tmp_path)


def test_the_rules_get_the_guessed_language_never_auto():
    settings = Settings()
    settings.language = "auto"
    # capitalization upper-cases a lone `i` only for English: it must see `en`, not `auto`
    data = srt_text(["i think that is what you want.", "and i know it was not the plan."]).encode()
    out, fields = correct(data, settings, "en.srt")
    assert b"I think" in out and b"I know" in out
    assert fields["language"] == "en" and fields["encoding"] == "utf-8" and fields["encoding_confidence"] == 1.0
    french = srt_text(SAMPLES["fr"][1]).encode("cp1252")
    _, fields = correct(french, settings, "fr.srt")
    assert fields["language"] == "fr" and fields["encoding"] == "cp1252" and 0 < fields["encoding_confidence"] < 1


def test_a_configured_language_leaves_the_sidecar_language_empty():
    _, fields = correct(srt_text(["Hello."]).encode(), Settings(), "a.srt")
    assert fields["language"] is None and fields["encoding_confidence"] == 1.0


# The shared corpus: files whose code page is known from their names or SOURCES.md.
def _known_page(rel: str) -> str | None:
    named = {
        "cdown-srt/gb2312.srt": "gb2312",
        "pysrt/windows-1252.srt": "cp1252",
        "subtitleedit/auto_detect_windows-1250.srt": "cp1250",
        "subtitleedit/auto_detect_windows-1251.srt": "cp1251",
        # SOURCES.md: "cp1252 (0x92 right quote, 0x85 ellipsis)", "original release file: cp1252"
        "gnome-subtitles/CC Mayer and Bettle Animation.srt": "cp1252",
        "subtitle-js/La.La.Land.2016.1080p.BluRay.x264-SPARKS.EN.srt": "cp1252",
    }
    if rel in named:
        return named[rel]
    m = re.fullmatch(r"juvoplayer/media_player_subs_(?:windows-)?([\w-]+)\.srt", rel)
    if m and m.group(1) != "utf8":
        name = m.group(1).replace("-", "")
        return f"cp{name}" if name.isdigit() else name
    return None


FILES = corpus_files()
KNOWN = [(p, _known_page(str(p.relative_to(CORPUS)))) for p in FILES if _known_page(str(p.relative_to(CORPUS)))]


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@needs_corpus
def test_the_known_code_pages_are_all_there():
    assert len(KNOWN) == 17  # 11 juvoplayer pages, 2 subtitleedit, pysrt, cdown-srt, gnome, subtitle-js


@needs_corpus
@pytest.mark.parametrize("configured", ["en", "auto"])
@pytest.mark.parametrize("path,page", KNOWN, ids=[str(p.relative_to(CORPUS)) for p, _ in KNOWN])
def test_every_known_code_page_file_of_the_corpus_decodes_right(path: Path, page: str, configured: str):
    data = path.read_bytes()
    decoded = decode(data, str(path), None, configured)
    assert decoded.text == data.decode(page), f"read as {decoded.encoding}"


# What a wrong code page leaves in text: UTF-8 read as Latin-1 (`Ã©`, `Ð°`), C1 control
# characters, a symbol between two letters.
_MOJIBAKE = re.compile(r"[ÃÂÐÑ][\u0080-\u00bf]|[\u0080-\u009f]|(?<=[^\W\d_])[¤¦¨¬¯´¸±×÷](?=[^\W\d_])")


@needs_corpus
@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(CORPUS)) for p in FILES])
def test_no_corpus_file_reads_worse(path: Path):
    data = path.read_bytes()
    if _is_utf8(data):  # UTF-8 (and ASCII) files are read as they always were, whatever the language
        for configured in ("en", "fr", "ru", "auto"):
            decoded = decode(data, str(path), None, configured)
            assert decoded.encoding == "utf-8" and decoded.text == data.decode("utf-8-sig")
        return
    try:
        decoded = decode(data, str(path), None, "en")
    except SubtitleError as exc:  # a file that cannot be read is not a worse reading
        pytest.skip(f"not decodable: {exc}")
    page = _known_page(str(path.relative_to(CORPUS)))
    allowed = len(_MOJIBAKE.findall(data.decode(page))) if page else 0  # the others hold a BOM
    assert len(_MOJIBAKE.findall(decoded.text)) <= allowed
