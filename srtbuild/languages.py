"""Language codes srtbuild accepts for `language:`: ISO 639-1 (two letters), a few ISO
639-2/3 codes for languages that have no two-letter code but do have subtitles, each
optionally with a region or script (`en-US`, `pt_BR`, `zh-Hant`), or `auto`.

It also holds what srtbuild knows of each language's writing, for two guesses that need
it: which legacy code page a file that is not UTF-8 was saved in (a page is plausible when
it turns the bytes into the letters of a language that page serves), and, with
`language: auto`, which language a file is in (the rules only see real codes).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass

ISO_639_1 = frozenset("""
aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy
da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht
hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky
la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny
oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss
st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo
za zh zu
""".split())

# Three-letter codes with no two-letter equivalent, as subtitle files and players use them.
ISO_639_3 = frozenset("ast ceb ckb fil gsw haw hmn kab mni nds sah sat scn yue zza".split())

# `language: auto`: the language is guessed from each file's text.
AUTO = "auto"
# What the rules get when a guess is unsure: their defaults are English ones.
FALLBACK = "en"

_TAG = re.compile(r"([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{2,8})*\Z")


def primary(code: str) -> str:
    """The language part of a tag, lower-cased: `pt_BR` -> `pt`."""
    return re.split(r"[-_]", code, maxsplit=1)[0].lower()


def is_known(code: str) -> bool:
    m = _TAG.match(code)
    if not m:
        return False
    lang = m.group(1).lower()
    return lang in ISO_639_1 or lang in ISO_639_3


# Scripts by code point: (first code point, script); a code point belongs to the last
# range starting at or before it. Only letters are ever looked up.
_SCRIPT_STARTS = (
    (0x0000, ""), (0x0041, "Latin"), (0x005B, ""), (0x0061, "Latin"), (0x007B, ""),
    (0x00C0, "Latin"), (0x0250, ""), (0x0370, "Greek"), (0x0400, "Cyrillic"), (0x0530, "Armenian"),
    (0x0590, "Hebrew"), (0x0600, "Arabic"), (0x0700, ""), (0x0750, "Arabic"), (0x0780, ""),
    (0x0900, "Devanagari"), (0x0980, "Bengali"), (0x0A00, "Gurmukhi"), (0x0A80, "Gujarati"),
    (0x0B00, "Oriya"), (0x0B80, "Tamil"), (0x0C00, "Telugu"), (0x0C80, "Kannada"), (0x0D00, "Malayalam"),
    (0x0D80, "Sinhala"), (0x0E00, "Thai"), (0x0E80, ""), (0x10A0, "Georgian"), (0x1100, "Hangul"),
    (0x1200, ""), (0x1E00, "Latin"), (0x1F00, "Greek"), (0x2000, ""), (0x3040, "Kana"),
    (0x3100, ""), (0x3130, "Hangul"), (0x3190, ""), (0x31F0, "Kana"), (0x3200, ""),
    (0x3400, "Han"), (0xA000, ""), (0xAC00, "Hangul"), (0xD7B0, ""), (0xF900, "Han"),
    (0xFB00, ""), (0xFB1D, "Hebrew"), (0xFB50, "Arabic"), (0xFE00, ""), (0xFE70, "Arabic"),
    (0xFF00, ""), (0xFF66, "Kana"), (0xFFA0, ""), (0x20000, "Han"), (0x30000, ""),
)
_STARTS = [start for start, _ in _SCRIPT_STARTS]
# Scripts written without letter case and with many letters per word, whose text rarely
# mixes with Latin inside a word.
CJK = frozenset({"Han", "Kana", "Hangul"})


def script_of(ch: str) -> str:
    """The script of a letter ("" for what is not a letter of a script srtbuild knows)."""
    return _SCRIPT_STARTS[bisect_right(_STARTS, ord(ch)) - 1][1]


def _both_cases(letters: str) -> frozenset:
    out = set(letters)
    for ch in letters:
        up = ch.upper()
        if len(up) == 1 and not up.isascii():
            out.add(up)
    return frozenset(out)


@dataclass(frozen=True)
class Profile:
    """What a language looks like on screen, as far as the two guesses need it."""

    code: str
    script: str
    letters: frozenset  # its letters beyond ASCII, both cases (for Latin: the accented ones)
    pages: tuple  # legacy code pages its files were saved in, the usual one first
    words: frozenset  # frequent short words, lower case
    pairs: tuple  # frequent letter pairs of non-Latin scripts, lower case


# One row a language: code, script, extra letters (lower case), code pages, frequent
# words, frequent letter pairs. Written from the alphabets and the code page charts;
# the words and pairs are the commonest of everyday speech.
_ROWS = (
    ("en", "Latin", "", "cp1252 iso8859_1 iso8859_15",
     "the and you that is it of what this was have with are not to he she we they my your just know", ""),
    ("fr", "Latin", "àâçéèêëîïôœùûüÿ", "cp1252 iso8859_15 iso8859_1",
     "le les et est pas vous je il ne qui dans pour une des mais avec sur elle nous mon ça oui au tu moi toi", ""),
    ("de", "Latin", "äöüß", "cp1252 iso8859_15 iso8859_1 cp1250 cp1257",
     "der die das und ist nicht ich sie ein es zu mit auf wir du auch den dem wie mir mich sich aber noch nur "
     + "nein hier", ""),
    ("es", "Latin", "áéíñóúü¿¡", "cp1252 iso8859_15 iso8859_1",
     "el los las que no es en un una por para con pero muy está lo le del al yo sí qué cómo estoy bien", ""),
    ("it", "Latin", "àèéìòù", "cp1252 iso8859_15 iso8859_1",
     "il che non di gli un una per sono lo ma questo anche della mi ho hai ha è sei cosa come bene io ci", ""),
    ("pt", "Latin", "áâãàçéêíóôõú", "cp1252 iso8859_15 iso8859_1",
     "os que não um uma para com você eu está mas muito isso ele do sim nós ela da dos em ao meu tem foi", ""),
    ("nl", "Latin", "éëïöüèáóú", "cp1252 iso8859_15 iso8859_1",
     "de het een en niet dat ik je van wat op zijn maar er ook wij hij zij dit hoe nog wel", ""),
    ("ca", "Latin", "àçèéíïòóúü", "cp1252 iso8859_15 iso8859_1",
     "el els la que no és un una per amb però molt", ""),
    ("gl", "Latin", "áéíñóúü¿¡", "cp1252 iso8859_15 iso8859_1", "", ""),
    ("eu", "Latin", "ñü", "cp1252 iso8859_15 iso8859_1", "", ""),
    ("da", "Latin", "æøåé", "cp1252 iso8859_15 iso8859_1 cp1257",
     "og at det er ikke jeg du en på har med hvad til", ""),
    ("no", "Latin", "æøåéèêóòô", "cp1252 iso8859_15 iso8859_1 iso8859_10 cp1257",
     "og det er ikke jeg du en på har med hva til", ""),
    ("sv", "Latin", "åäöé", "cp1252 iso8859_15 iso8859_1 cp1257",
     "och att det är inte jag du som en på har med vad", ""),
    ("fi", "Latin", "äöåšž", "cp1252 iso8859_15 iso8859_1 cp1257",
     "ja on ei se että mitä minä sinä oli kun mutta", ""),
    ("is", "Latin", "áðéíóúýþæö", "cp1252 iso8859_1 iso8859_10", "", ""),
    ("fo", "Latin", "áðíóúýæø", "cp1252 iso8859_1 iso8859_10", "", ""),
    ("ga", "Latin", "áéíóú", "cp1252 iso8859_1 iso8859_14", "", ""),
    ("af", "Latin", "éèêëîïôûáóú", "cp1252 iso8859_1", "", ""),
    ("sq", "Latin", "çë", "cp1250 cp1252 iso8859_2 iso8859_16 iso8859_1", "", ""),
    ("pl", "Latin", "ąćęłńóśźż", "cp1250 iso8859_2 iso8859_16 cp1257",
     "nie się jest to że na co jak ale tak mnie ty ja jestem był była tutaj teraz dlaczego gdzie", ""),
    ("cs", "Latin", "áčďéěíňóřšťúůýž", "cp1250 iso8859_2",
     "je to se na že ale jak co tak jsem není už kde jsi byl byla bylo ty já ano mám máš jste jsme tady teď proč", ""),
    ("sk", "Latin", "áäčďéíĺľňóôŕšťúýž", "cp1250 iso8859_2",
     "je to sa na že ale ako čo tak som nie kde si bol bola bolo ty ja áno mám máš ste sme tu teraz prečo", ""),
    ("hu", "Latin", "áéíóöőúüű", "cp1250 iso8859_2 iso8859_16",
     "az és hogy nem egy ez is van meg te én mi itt most miért hol", ""),
    ("sl", "Latin", "čšž", "cp1250 iso8859_2 iso8859_16",
     "je da se to ne na kaj ali sem so ti jaz kje bil bila zdaj zakaj", ""),
    ("hr", "Latin", "čćđšž", "cp1250 iso8859_2 iso8859_16",
     "je da se to ne na što ali sam su li kako ti ja gdje bio bila sada zašto", ""),
    ("ro", "Latin", "ăâîșțşţ", "cp1250 iso8859_16 iso8859_2",
     "și nu în că să pe la ce este cu eu tu el ea unde acum", ""),
    ("tr", "Latin", "çğıöşüâîûİ", "cp1254 iso8859_9",
     "bir ve bu ne için çok ben sen var değil mi bana sana şimdi nerede", ""),
    ("et", "Latin", "äöõüšž", "cp1257 iso8859_13 iso8859_4 iso8859_15", "", ""),
    ("lv", "Latin", "āčēģīķļņšūž", "cp1257 iso8859_13 iso8859_4 iso8859_10", "", ""),
    ("lt", "Latin", "ąčęėįšųūž", "cp1257 iso8859_13 iso8859_4 iso8859_10", "", ""),
    ("mt", "Latin", "ċġħżàèìòù", "iso8859_3", "", ""),
    ("eo", "Latin", "ĉĝĥĵŝŭ", "iso8859_3", "", ""),
    ("cy", "Latin", "âêîôûŵŷëï", "iso8859_14 cp1252", "", ""),
    ("se", "Latin", "áčđŋšŧž", "iso8859_10 iso8859_4", "", ""),
    ("vi", "Latin", ("àáâãèéêìíòóôõùúýăđĩũơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
                     "\u0300\u0301\u0303\u0309\u0323"), "cp1258",
     "không là của và có tôi anh em này được một những đã cho với người", ""),
    ("ru", "Cyrillic", "абвгдеёжзийклмнопрстуфхцчшщъыьэюя", "cp1251 koi8_r cp866 iso8859_5 koi8_u",
     "", "ст но то на ен ов ни ра во ко ро ан ер ал ет пр по ре ос ол от ор не ли го ка ть ва ло де та ом ел ит"),
    ("uk", "Cyrillic", "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя", "cp1251 koi8_u cp866",
     "", "на ни ра ро ст по ко но ан пр ов ен ер ві то ли ти ат ла ні за ся ть во"),
    ("be", "Cyrillic", "абвгдеёжзійклмнопрстуўфхцчшыьэюя", "cp1251 koi8_u cp866",
     "", "на ра ст пр ан ня ка не ад ль ці ы"),
    ("bg", "Cyrillic", "абвгдежзийклмнопрстуфхцчшщъьюя", "cp1251 koi8_r iso8859_5",
     "", "на то ст за ра пр не ни те ат ен ко та да ва ре ли ро но"),
    ("sr", "Cyrillic", "абвгдђежзијклљмнњопрстћуфхцчџш", "cp1251 iso8859_5",
     "", "је на ст ра да ко ни не то пр ти за ов ре ли"),
    ("mk", "Cyrillic", "абвгдѓежзѕијклљмнњопрстќуфхцчџш", "cp1251 iso8859_5",
     "", "на то ст за ра пр не ни те ат ен ко та да"),
    ("el", "Greek", "αβγδεζηθικλμνξοπρστυφχψωάέήίόύώϊϋς", "cp1253 iso8859_7",
     "", "το αι ου ει τη ην κα ατ ντ στ ρο ερ ια ον πο απ ετ τα οι με εν ας ης"),
    ("he", "Hebrew", "אבגדהוזחטיכךלמםנןסעפףצץקרשתװױײ" + "".join(map(chr, range(0x05B0, 0x05C8))),
     "cp1255 iso8859_8", "", ""),
    ("ar", "Arabic", "ءآأؤإئابةتثجحخدذرزسشصضطظعغفقكلمنهوىيـ" + "".join(map(chr, range(0x064B, 0x0653))),
     "cp1256 iso8859_6", "", ""),
    ("fa", "Arabic", "ءآأؤئابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیيكةـ", "cp1256", "", ""),
    ("ur", "Arabic", "ءآأؤئابپتٹثجچحخدڈذرڑزژسشصضطظعغفقکگلمنںوہھیےۓـ", "cp1256", "", ""),
    # Thai without its obsolete letters (ฃ ฅ ฦ) and the archaic yamakkan.
    ("th", "Thai", "".join(chr(c) for c in range(0x0E01, 0x0E5C) if c not in (0x0E03, 0x0E05, 0x0E26, 0x0E4E)),
     "cp874 iso8859_11", "", ""),
    ("zh", "Han", "", "gb18030 big5", "", ""),
    ("ja", "Kana", "", "cp932 euc_jp", "", ""),
    ("ko", "Hangul", "", "cp949", "", ""),
)

# Spelling each language never has, for the code page guess: a page whose reading needs
# it has misread the bytes. Polish writes `ni`, `si`, `ci`, `zi` before a vowel, never
# `ń`, `ś`, `ć`, `ź` (`ańos` is Spanish `años` read in cp1250); French, Catalan and
# Portuguese write `ç` only before a, o, u; Italian grave accents and French `à` end a
# word; Spanish writes one accent a word and no `ñ` before a consonant; Danish, Norwegian
# and Icelandic `æ` touches no other vowel; Czech `ě` and `ů` start no word; a Vietnamese
# tone mark sits on a vowel. An accented letter alone is a word in Italian (`è`), French
# (`à`), Swedish (`å`)..., never in Czech, Polish, German... (`č` is `è` read in cp1250).
_VOWELS = "aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿąęő"
_LONE = "(?<![\\w'’])[\u00c0-\u024f](?![\\w'’])"
MISSPELT = {
    **dict.fromkeys(("sk", "hr", "sl", "de", "ro", "tr"), re.compile(_LONE)),
    "pl": re.compile("[ćńśźĆŃŚŹ](?=[aeiouyąęóAEIOUYĄĘÓ])|" + _LONE),
    "cs": re.compile("(?<![^\\W\\d_])[ěůĚŮ]|" + _LONE),
    "fr": re.compile("[çÇ](?=[eiyEIY])|[àÀ](?=[^\\W\\d_])|[èùÈÙ](?=[aeiouAEIOU])"),
    "ca": re.compile("[çÇ](?=[eiyEIY])"),
    "pt": re.compile("[çÇ](?=[eiyEIY])|[ãõ](?=[bcdfghjklnpqrtvxz])"),
    "it": re.compile("[àèìòùÀÈÌÒÙ](?=[^\\W\\d_])"),
    "es": re.compile("[ñÑ](?=[bcdfghjklmnpqrstvwxz])|[áéíóú][^\\W\\d_]*[áéíóú]"),
    **dict.fromkeys(("da", "no", "is", "fo"), re.compile(f"(?<=[{_VOWELS}])[æÆ]|[æÆ](?=[{_VOWELS}])")),
    "vi": re.compile("(?<![aăâeêioôơuưyAĂÂEÊIOÔƠUƯY])[\u0300\u0301\u0303\u0309\u0323]"),
}

PROFILES: dict[str, Profile] = {
    code: Profile(code, script, _both_cases(letters), tuple(pages.split()), frozenset(words.split()),
                  tuple(pairs.split()))
    for code, script, letters, pages, words, pairs in _ROWS
}
# Bokmål and Nynorsk are written like Norwegian.
PROFILES["nb"] = PROFILES["nn"] = PROFILES["no"]

# Chinese characters that make up much of any running text, simplified and traditional:
# a real Chinese file is full of them; the bytes of another code page read as Chinese are
# mostly rare ones.
COMMON_HAN = frozenset(
    "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后"
    "小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长"
    "知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最"
    "间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市"
    "眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计"
    "或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让"
    "认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办"
    "运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持"
    "取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞"
    "观争究包组造落视济喜离虽坐集编宝谈府拉黑且随格尽讲布杀微怕母调局根曾准团段终乐切级克精哪官示冷"
    "這來國個說們為會著過學對裡後麼沒於還發當無開見經頭從動兩長樣現將與實點種聲話兒問機給幾業間東門關電"
    "兩體別處總場師書員報馬張難數車應與覺記邊風戰許題統請愛讓認論義術結條聯權傳紅決達辦運區轉輕語滿寫識"
    "極黃臉錢黨設歷視喜離雖隨盡講殺調團終樂級")


# Scripts of one main language (Devanagari: Hindi, Marathi, Nepali... Hindi the most).
_BY_SCRIPT = {"Devanagari": "hi", "Bengali": "bn", "Gurmukhi": "pa", "Gujarati": "gu", "Oriya": "or",
              "Tamil": "ta", "Telugu": "te", "Kannada": "kn", "Malayalam": "ml", "Sinhala": "si",
              "Georgian": "ka", "Armenian": "hy"}
_KANA = re.compile("[\u3041-\u30ff]")
_HANGUL = re.compile("[\uac00-\ud7a3]")
_HAN = re.compile("[\u3400-\u9fff]")
# Tags and ASS blocks: `<i>` is no Catalan word.
_MARKUP = re.compile(r"<[^<>\n]*>|\{[^{}\n]*\}")
# Latin words, for the function-word guess.
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]+")
_LETTER_RUN = re.compile(r"[^\W\d_]+")


def guess_language(text: str, hint: str | None = None) -> str:
    """The language of `text`, for `language: auto`: by script, then by letters only some
    languages use, and for Latin text by its frequent short words. `hint` is the language
    the code page guess found the bytes plausible for; it breaks a tie. Unsure: English,
    whose conventions the rules default to."""
    sample = _MARKUP.sub(" ", _spread_sample(text, 24_000))
    scripts: Counter = Counter()
    for run in _LETTER_RUN.findall(sample):
        script = script_of(run[0])
        if script:
            # A Chinese, Japanese or Korean character says about as much as a short word.
            scripts[script] += len(run) * (3 if script in CJK else 1)
    if not scripts:
        return FALLBACK
    script = scripts.most_common(1)[0][0]
    if script in CJK:
        # Japanese writes kana between its Han characters, Korean is mostly Hangul.
        kana, hangul = len(_KANA.findall(sample)), len(_HANGUL.findall(sample))
        han = len(_HAN.findall(sample))
        if kana > 0.1 * (kana + han + hangul):
            return "ja"
        return "ko" if hangul > han else "zh"
    if script == "Latin":
        ranked = _latin_scores(sample)
        if not ranked or ranked[0][1] < 0.05:  # subtitle text is a third function words or more
            return hint if hint in PROFILES and PROFILES[hint].script == "Latin" else FALLBACK
        if len(ranked) > 1 and ranked[1][1] > 0.85 * ranked[0][1] and hint == ranked[1][0]:
            return hint
        return ranked[0][0]
    chars = {ch: n for ch, n in Counter(sample).items() if ord(ch) > 0x7F}
    best, best_score = None, 0.0
    for profile in PROFILES.values():
        if profile.script != script:
            continue
        # Letters no other language of the script uses tell the most; the common
        # pairs decide among languages that share an alphabet.
        inside = sum(n for ch, n in chars.items() if ch in profile.letters)
        outside = sum(n for ch, n in chars.items() if script_of(ch) == script and ch not in profile.letters)
        score = inside - 20 * outside + sum(sample.count(p) for p in profile.pairs)
        if best is None or score > best_score:
            best, best_score = profile.code, score
    return best or _BY_SCRIPT.get(script, FALLBACK)


def _spread_sample(text: str, size: int) -> str:
    """Three pieces from the start, middle and end: credits and notes at either end of
    a subtitle file are often in another language than the dialogue."""
    if len(text) <= size:
        return text
    third = size // 3
    mid = len(text) // 2
    return "\n".join((text[:third], text[mid - third // 2:mid + third // 2], text[-third:]))


def words_language(text: str) -> str | None:
    """The Latin-script language `text`'s frequent short words clearly point to, or None:
    evidence the code page guess takes besides the configured language (the words of a
    legacy file are mostly ASCII, the same in every candidate page)."""
    ranked = _latin_scores(_MARKUP.sub(" ", _spread_sample(text, 24_000)))
    if not ranked or ranked[0][1] < 0.1 or (len(ranked) > 1 and ranked[1][1] > 0.7 * ranked[0][1]):
        return None
    return ranked[0][0]


def _latin_scores(sample: str) -> list[tuple[str, float]]:
    """Latin-script languages by the share of `sample`'s words that are their frequent
    words (plus their own letters, minus letters they lack), best first."""
    words = Counter(w.lower() for w in _LATIN_WORD.findall(sample))
    total = sum(words.values())
    if total < 5:
        return []
    extra: Counter = Counter()
    for w, n in words.items():
        if not w.isascii():
            for ch in w:
                if ord(ch) > 0x7F:
                    extra[ch] += n
    scores = {}
    for profile in PROFILES.values():
        if profile.script != "Latin" or not profile.words or profile.code in ("nb", "nn"):
            continue
        hits = sum(words[w] for w in profile.words)
        # Letters only some languages use (ñ, ß, ł, ő...) add to the words; letters the
        # language does not have take away.
        own = sum(n for ch, n in extra.items() if ch in profile.letters)
        scores[profile.code] = (hits + 0.5 * own - 0.5 * (sum(extra.values()) - own)) / total
    return sorted(scores.items(), key=lambda kv: -kv[1])
