"""Legacy and mislabelled encodings decode to the right letters."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuinews.sources.feeds import parse_feed

URL = "https://enc.example/feed"


def rss(title: str, item: str, declaration: str | None) -> str:
    head = f'<?xml version="1.0" encoding="{declaration}"?>\n' if declaration else ""
    return (
        f'{head}<rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://enc.example/</link><item><title>{item}</title>"
        "<link>https://enc.example/1</link></item></channel></rss>"
    )


@pytest.mark.parametrize(
    ("codec", "declaration", "text"),
    [
        ("cp1251", "windows-1251", "Новости дня"),
        ("gb2312", "GB2312", "投资资讯网"),
        ("euc-jp", "EUC-JP", "いしなお日記"),
        ("shift_jis", "Shift_JIS", "ニュース速報"),
        ("iso-8859-1", "ISO-8859-1", "Café crème brûlée"),
        ("cp1252", "windows-1252", "“Smart” quotes — dash"),
        ("koi8-r", "KOI8-R", "Привет мир"),
    ],
)
def test_declared_legacy_encodings(codec: str, declaration: str, text: str) -> None:
    feed = parse_feed(rss(text, text, declaration).encode(codec), URL)
    assert feed.title == text
    assert feed.articles[0].title == text


def test_undeclared_latin1_french() -> None:
    text = "Les élèves préfèrent l'été à Noël"
    feed = parse_feed(rss("Journal", text, None).encode("latin-1"), URL)
    assert feed.articles[0].title == text


def test_http_charset_beats_declaration() -> None:
    data = rss("Новости", "Новости", "iso-8859-1").encode("cp1251")
    feed = parse_feed(data, URL, content_type="application/rss+xml; charset=windows-1251")
    assert feed.title == "Новости"


def test_declared_latin1_but_really_utf8() -> None:
    data = rss("Crème", "Ünïcödé ✓", "ISO-8859-1").encode("utf-8")
    feed = parse_feed(data, URL)
    assert feed.title == "Crème"
    assert feed.articles[0].title == "Ünïcödé ✓"


def test_declared_utf8_but_really_latin1() -> None:
    data = rss("Crème", "Fête", "utf-8").encode("latin-1")
    assert parse_feed(data, URL).articles[0].title == "Fête"


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_byte_order_marks(codec: str) -> None:
    text = "Ελληνικά και 日本語"
    data = rss(text, text, None).encode(codec)
    if codec in ("utf-16-le", "utf-16-be"):
        data = ("\ufeff".encode(codec)) + data
    assert parse_feed(data, URL).articles[0].title == text


def test_json_feed_in_utf16() -> None:
    data = '{"version": "https://jsonfeed.org/version/1.1", "title": "Ünï", "items": []}'
    assert parse_feed(data.encode("utf-16"), URL).title == "Ünï"


@pytest.mark.parametrize(
    ("declaration", "text"),
    [
        ("Shift_JIS", "ニュース速報"),
        ("EUC-JP", "いしなお日記"),
        ("GB2312", "投资资讯网"),
        ("EUC-KR", "오늘의 뉴스"),
        ("Shift_JIS", "Café crème, naïve résumé"),
        ("Big5", "Привет мир"),
    ],
)
def test_declared_cjk_but_really_utf8(declaration: str, text: str) -> None:
    feed = parse_feed(rss(text, text, declaration).encode("utf-8"), URL)
    assert feed.title == text
    assert feed.articles[0].title == text


@pytest.mark.parametrize(
    ("codec", "declaration", "text"),
    [
        ("gb2312", "GB2312", "图片"),  # valid UTF-8 too: "ͼƬ"
        ("gb2312", "GB2312", "19.2一枚"),  # valid UTF-8 too: "19.2һö"
        ("euc-jp", "EUC-JP", "// 標"),  # valid UTF-8 too: "// ɸ"
    ],
)
def test_short_legacy_text_that_is_also_valid_utf8_keeps_its_declaration(
    codec: str, declaration: str, text: str
) -> None:
    data = rss(text, text, declaration).encode(codec)
    data.decode("utf-8")  # the premise: these bytes validate as UTF-8 as well
    assert parse_feed(data, URL).articles[0].title == text


@pytest.mark.parametrize(
    ("codec", "declaration", "text"),
    [
        ("iso-8859-2", "iso-8859-2", "Zażółć gęślą jaźń"),
        ("cp1251", "windows-1251", "Цитата дня про кота"),
        ("koi8-r", "KOI8-R", "Привет, мир"),
        ("shift_jis", "Shift_JIS", "ニュース速報"),
    ],
)
def test_a_servers_default_utf8_charset_loses_to_the_documents_own(
    codec: str, declaration: str, text: str
) -> None:
    """A server configured to send `charset=utf-8` for everything, on a feed that is not
    UTF-8 and says what it is: the feed's declaration is believed (as newsboat does)."""
    body = rss(text, text, declaration).encode(codec)
    feed = parse_feed(body, URL, content_type="application/rss+xml; charset=utf-8")
    assert (feed.title, feed.articles[0].title) == (text, text)


@pytest.mark.parametrize(
    ("codec", "text"),
    [
        ("cp1251", "Новости дня: цитата про кота и собаку, длинная строка русского текста"),
        ("koi8-r", "Новости дня: погода ясная, завтра дождь."),
        ("shift_jis", "ニュース速報です。今日の天気は晴れ、明日は雨の予報です。"),
        ("euc-kr", "오늘의 뉴스입니다. 날씨는 맑고 내일은 비가 옵니다."),
        ("big5", "今日新聞報導，天氣晴朗，明天會下雨。"),
        ("gb2312", "今日新闻报道，天气晴朗，明天会下雨。"),
    ],
)
def test_mislabelled_utf8_without_a_declaration_is_guessed(codec: str, text: str) -> None:
    """Legacy bytes under `charset=utf-8` and no declaration: a few byte runs form valid
    UTF-8 by chance, the rest do not; the guess reads them, not U+FFFD soup."""
    body = rss(text, text * 3, None).encode(codec)
    feed = parse_feed(body, URL, content_type="text/xml; charset=utf-8")
    assert (feed.title, feed.articles[0].title) == (text, text * 3)


def test_a_latin1_feed_without_a_declaration_served_as_utf8(corpus_feeds: Path) -> None:
    data = (corpus_feeds / "miniflux__le-cercle-psy_no-decl_latin1.rss").read_bytes()
    served = parse_feed(data, URL, content_type="application/rss+xml; charset=utf-8")
    assert "\ufffd" not in served.articles[1].summary
    assert served.articles[1].summary == parse_feed(data, URL).articles[1].summary


def test_utf8_with_a_few_broken_bytes_stays_utf8() -> None:
    text = "Crème brûlée à la française, déjà vu"
    body = rss(text, text, None).encode("utf-8").replace("déjà".encode(), b"d\xe9j\xe0")
    feed = parse_feed(body, URL, content_type="text/xml; charset=utf-8")
    assert feed.title.startswith("Crème brûlée à la française, d")  # not mojibake


def test_an_item_pasted_in_windows_1252_into_a_utf8_feed_reads_right() -> None:
    # Each part keeps its own reading: the UTF-8 text as UTF-8, the pasted item's
    # bytes as windows-1252 (where U+FFFD used to stand for every accented letter).
    utf8 = "It’s “news”".encode()
    pasted = "Un été très réussi, déjà vu".encode("cp1252")
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        b"<item><title>" + utf8 + b"</title><guid>1</guid></item>"
        b"<item><title>" + pasted + b"</title><guid>2</guid></item></channel></rss>"
    )
    feed = parse_feed(body, URL, content_type="application/rss+xml; charset=utf-8")
    assert [a.title for a in feed.articles] == ["It’s “news”", "Un été très réussi, déjà vu"]


def test_a_few_windows_1252_bytes_do_not_turn_valid_utf8_into_mojibake() -> None:
    # More invalid bytes than valid sequences used to read the whole document as
    # windows-1252, "Café" as "CafÃ©".
    data = rss("TITLE", "ITEM", None).encode()
    data = data.replace(b"TITLE", "Café".encode()).replace(
        b"ITEM", "Café à la carte « menu »".encode("cp1252")
    )
    feed = parse_feed(data, URL, content_type="text/xml; charset=utf-8")
    assert (feed.title, feed.articles[0].title) == ("Café", "Café à la carte « menu »")
