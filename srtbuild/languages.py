"""Language codes srtbuild accepts for `language:`: ISO 639-1 (two letters), a few ISO
639-2/3 codes for languages that have no two-letter code but do have subtitles, each
optionally with a region or script (`en-US`, `pt_BR`, `zh-Hant`)."""

from __future__ import annotations

import re

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
