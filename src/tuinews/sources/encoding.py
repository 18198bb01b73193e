"""Character-encoding resolution for feed documents.

Order of evidence, as the best readers do it: byte-order mark, then the HTTP charset,
then the XML declaration, then strict UTF-8, then a guess (charset-normalizer, falling
back to windows-1252). A declared legacy charset (single- or multi-byte) that disagrees
with bytes forming valid multi-byte UTF-8 loses to UTF-8: servers and templates often
lie, the bytes don't. The exception is text that also decodes under the declared
charset and whose UTF-8 reading is implausible (controls, unassigned or rarely used
characters, letters of three scripts): short CJK text can happen to be valid UTF-8.
An HTTP `charset=utf-8` on bytes that are not UTF-8 is a server's default: the XML
declaration, when it names another encoding, is believed instead.
XML documents leave here as UTF-8 bytes whose declaration says so, because libxml2
would otherwise trust the (possibly wrong) declaration.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_DECL = re.compile(rb"\A\s*<\?xml\b[^>]*?\?>", re.IGNORECASE)
_DECL_ENCODING = re.compile(rb"""encoding\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_NON_ASCII_TEXT = re.compile("[^\x00-\x7f]")
# Declared UTF-8 with invalid sequences: decided per document in `_decode`.
_LENIENT_UTF8 = "utf-8-lenient"
_UTF8_DECL = b'<?xml version="1.0" encoding="utf-8"?>'

# Supersets decode everything the declared name does, and more of what is really sent:
# browsers treat Latin-1 and ASCII labels as windows-1252, GB2312 as GB18030, and
# Shift_JIS as Microsoft's cp932.
_SUPERSETS = {
    "latin_1": "cp1252",
    "iso8859_1": "cp1252",
    "ascii": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "big5": "big5hkscs",
}
_MULTIBYTE = frozenset(
    {"utf_8", "utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le", "utf_32_be"}
    | {"gb18030", "cp932", "euc_jp", "cp949", "big5hkscs", "iso2022_jp", "euc_jis_2004"}
)


def charset_from_content_type(content_type: str | None) -> str | None:
    """The `charset` parameter of an HTTP Content-Type value, if any."""
    if not content_type:
        return None
    match = _CHARSET_PARAM.search(content_type)
    return match.group(1) if match else None


def _codec(label: str | None) -> str | None:
    """Python's canonical codec name for a charset label, widened to its superset."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().lower()).name.replace("-", "_")
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def strip_bom(data: bytes) -> tuple[bytes, str | None]:
    """The data without its byte-order mark, and the encoding the mark names."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :], name
    # UTF-16 without a mark still starts with '<' next to a zero byte; UTF-32, three.
    if data[:4] == b"<\x00\x00\x00":
        return data, "utf-32-le"
    if data[:4] == b"\x00\x00\x00<":
        return data, "utf-32-be"
    if data[:2] == b"<\x00" and data[2:4] != b"\x00\x00":
        return data, "utf-16-le"
    if data[:2] == b"\x00<":
        return data, "utf-16-be"
    return data, None


def _is_utf8(data: bytes) -> bool:
    if data.isascii():  # a fast word-at-a-time scan; ASCII is valid UTF-8
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# Characters that legacy CJK bytes read as UTF-8 tend to produce, and real text rarely
# holds: Latin Extended-B (but Vietnamese, Pinyin and Romanian letters), IPA and
# modifier letters, Greek symbols and Coptic, historic and extended Cyrillic, Armenian,
# and Syriac to N'Ko. (Combining accents U+0300-U+036F are common in NFD text.)
_RARE_RANGES: tuple[tuple[int, int], ...] = (
    (0x0180, 0x019F),
    (0x01A2, 0x01AE),
    (0x01B1, 0x01CC),
    (0x01DD, 0x0217),
    (0x021C, 0x02FF),
    (0x0370, 0x0385),
    (0x03CF, 0x03FF),
    (0x0460, 0x058F),
    (0x0700, 0x07FF),
)
_ODD_CATEGORIES = frozenset({"Cc", "Co", "Cn", "Cs"})
# Scripts that one language writes together count as one.
_SCRIPT_FAMILY = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HALFWIDTH": "CJK", "FULLWIDTH": "CJK"}


def _utf8_reading_is_implausible(data: bytes, declared: str) -> bool:
    """Whether bytes valid both as UTF-8 and as `declared` are really `declared` text."""
    try:
        data.decode(declared)
    except (UnicodeDecodeError, LookupError):
        return False
    scripts: set[str] = set()
    for char in set(_NON_ASCII_TEXT.findall(data.decode("utf-8"))):
        code = ord(char)
        if any(low <= code <= high for low, high in _RARE_RANGES):
            return True
        category = unicodedata.category(char)
        if category in _ODD_CATEGORIES:
            return True
        if category[0] == "L":
            script = unicodedata.name(char, "?").split(" ", 1)[0]
            scripts.add(_SCRIPT_FAMILY.get(script, script))
    return len(scripts) >= 3


def _guess(data: bytes) -> str:
    """Best guess for undeclared non-UTF-8 bytes."""
    from charset_normalizer import from_bytes

    best = from_bytes(data[:65536], steps=5, chunk_size=2048).best()
    name = _codec(best.encoding) if best is not None else None
    # Guesses between single-byte code pages are unreliable on short Western text;
    # windows-1252 is what undeclared feeds almost always turn out to be.
    if name is None or (name not in _MULTIBYTE and name not in {"cp1251", "koi8_r"}):
        return "cp1252"
    return name


def resolve_encoding(data: bytes, content_type: str | None = None) -> tuple[bytes, str]:
    """The document without BOM, and the Python codec to decode it with."""
    data, bom_encoding = strip_bom(data)
    if bom_encoding is not None:
        return data, bom_encoding
    from_http = _usable(_codec(charset_from_content_type(content_type)))
    declared = from_http or _usable(_declared_in_document(data))
    if declared is not None and declared != "utf_8":
        if data.isascii() or not _is_utf8(data) or _utf8_reading_is_implausible(data, declared):
            return data, declared
        return data, "utf_8"
    if _is_utf8(data):
        return data, "utf_8"
    if declared is None:
        return data, _guess(data)
    if from_http == "utf_8":
        # A server's default `charset=utf-8` on a document that is not UTF-8 and names
        # its own legacy encoding (Polish ISO-8859-2, Russian windows-1251): the
        # document knows best. libxml2, and so newsboat, read it so.
        own = _usable(_declared_in_document(data))
        if own is not None and own != "utf_8":
            return data, own
    return data, _LENIENT_UTF8


def _declared_in_document(data: bytes) -> str | None:
    """The codec the XML declaration names, if any."""
    if data[:200].lstrip()[:5] != b"<?xml":
        return None
    match = _DECL_ENCODING.search(data[:512])
    return _codec(match.group(1).decode("ascii")) if match else None


def _usable(codec: str | None) -> str | None:
    # A UTF-16 or UTF-32 label on bytes with no mark and ASCII '<': the label is wrong.
    if codec in {"utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le", "utf_32_be"}:
        return None
    return codec


def _decode(body: bytes, encoding: str) -> str:
    if encoding != _LENIENT_UTF8:
        return body.decode(encoding, errors="replace")
    text = body.decode("utf-8", errors="replace")
    # Declared UTF-8, but more invalid sequences than valid ones: a legacy encoding (a
    # few valid ones happen by chance in Latin-1 or CJK bytes). When the guess is a
    # multi-byte or Cyrillic one, the whole document is read in it.
    non_ascii = _NON_ASCII_TEXT.findall(text)
    if non_ascii.count("\ufffd") * 2 > len(non_ascii):
        guess = _guess(body)
        if guess != "cp1252":
            return body.decode(guess, errors="replace")
    elif "\ufffd" not in text:
        return text
    # Otherwise valid UTF-8 stays UTF-8 and each invalid byte is read as windows-1252:
    # text pasted from a legacy editor into a UTF-8 feed, the usual way such bytes get
    # in, reads right beside the UTF-8 text (and Latin-1 documents read as wholly).
    return body.decode("utf-8", errors=_cp1252_bytes())


_CP1252_BYTES = "tuinews-cp1252-bytes"


def _cp1252_bytes() -> str:
    """The name of a decoding error handler reading each invalid byte as windows-1252
    (its five unassigned bytes as U+FFFD), registered on first use."""
    try:
        codecs.lookup_error(_CP1252_BYTES)
    except LookupError:

        def handler(error: UnicodeError) -> tuple[str, int]:
            if not isinstance(error, UnicodeDecodeError):
                raise error
            bad = error.object[error.start : error.end]
            return bytes(bad).decode("cp1252", errors="replace"), error.end

        codecs.register_error(_CP1252_BYTES, handler)
    return _CP1252_BYTES


def utf8_or_cp1252(data: bytes) -> tuple[str, str | None]:
    """A text file that should be UTF-8 (newsboat's urls file): its text (without a
    byte-order mark), and None when it is UTF-8, else the encoding assumed, named for
    the user to be told: each byte that is not UTF-8 is read as windows-1252, a
    superset of the Latin-1 older editors write (no guess: on a line or two of text,
    charset-normalizer takes Latin-1 for Big5 or worse)."""
    body, marked = strip_bom(data)
    if marked is not None and marked != "utf-8":
        return body.decode(marked, errors="replace"), None
    try:
        return body.decode("utf-8"), None
    except UnicodeDecodeError:
        # UTF-8 beside the Latin-1 (a line added later from a UTF-8 terminal) stays UTF-8.
        return body.decode("utf-8", errors=_cp1252_bytes()), "windows-1252 (Latin-1)"


def decode_text(data: bytes, content_type: str | None = None) -> str:
    """The document as text (for JSON and sniffing); undecodable bytes become U+FFFD."""
    body, encoding = resolve_encoding(data, content_type)
    return _decode(body, encoding)


def xml_as_utf8(data: bytes, content_type: str | None = None) -> bytes:
    """XML bytes re-encoded to UTF-8, leading junk dropped, declaration rewritten."""
    body, encoding = resolve_encoding(data, content_type)
    if encoding == "utf_8":
        # The common case: no copy of the document beyond trimming its prolog.
        if body[:1].isspace():
            body = body.lstrip()
        match = _XML_DECL.match(body)
        if match is None:
            return body
        declared = _DECL_ENCODING.search(match.group(0))
        if declared is None or declared.group(1).lower() in {b"utf-8", b"utf8"}:
            return body
        return _UTF8_DECL + body[match.end() :]
    text = _decode(body, encoding).lstrip()
    if text.startswith("<?xml"):
        end = text.find("?>")
        text = text[end + 2 :] if end != -1 else text
    return _UTF8_DECL + text.encode("utf-8", errors="replace")
