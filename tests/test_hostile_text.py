"""Escape injection and markup injection in feed text: parse → sanitize → render, in the
CLI (the real script, colour forced) and in the TUI (Pilot, the composed screen).

Payloads (tests/hostile.py): OSC 52/0/2/8, CSI clear/move/report, 8-bit C1, DEL, bidi
controls, the same as `&#27;` references, and Rich/Textual markup (`[bold]`,
`[link=…]`, `[@click=…]`), in feed titles, article titles, bodies, authors, links,
enclosure names, categories and OPML titles; also in local Markdown, HTML and text files.
The end-to-end fuzz goes from bytes to the characters Rich writes to a terminal.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from hostile import (
    MARKUP_PAYLOADS,
    TERMINAL_PAYLOADS,
    all_payloads,
    forbidden_sequences,
    hostile_atom,
    hostile_json_feed,
    hostile_opml,
    hostile_rss,
    markup_payloads,
    no_controls,
    reference_payloads,
    rss_with,
    x,
)
from tuinews.errors import SourceError
from tuinews.model import Article
from tuinews.render import plain_text, render_article
from tuinews.sources.feeds import parse_feed

TUINEWS = Path(sys.executable).parent / "tuinews"
SGR = re.compile("\x1b\\[[0-9;]*m")

FEEDS = {
    "rss": hostile_rss(),
    "rss-raw-controls": hostile_rss(raw_controls=True),
    "atom": hostile_atom(),
    "json": hostile_json_feed(),
}


def terminal_output(article: Article, width: int = 100) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system="truecolor", force_terminal=True)
    console.print(render_article(article))
    return buffer.getvalue()


def assert_only_styles(output: str) -> None:
    """What Rich wrote holds colour/style sequences and printable text, nothing else."""
    problems = forbidden_sequences(output.encode())
    assert not problems, [str(p) for p in problems[:5]]
    bare = SGR.sub("", output)
    assert "\x1b" not in bare, bare[bare.index("\x1b") - 20 :][:60]
    assert not no_controls(bare), no_controls(bare)[:5]


@pytest.mark.parametrize("kind", FEEDS)
def test_parsed_hostile_feed_renders_as_plain_text(kind: str) -> None:
    feed = parse_feed(FEEDS[kind], "https://hostile.example/feed")
    assert feed.articles
    assert not no_controls(feed.title)
    for article in feed.articles:
        for value in (article.title, article.author or "", article.link or "", article.summary):
            assert not no_controls(value), (value, no_controls(value))
        for enclosure in article.enclosures:
            assert not no_controls(enclosure.url + (enclosure.type or ""))
        output = terminal_output(article)
        assert_only_styles(output)
        # The payloads were neutralised, not silently swallowed with the text around them.
        shown = SGR.sub("", output)
        assert all(f"PWN-{name}:" in shown for name in TERMINAL_PAYLOADS), shown
        if kind == "json":  # JSON carries ESC itself: the whole sequence goes, text and all
            assert "PWNED WINDOW TITLE" not in shown and "1337" not in shown


@pytest.mark.parametrize("kind", ["rss", "json"])
def test_markup_in_feed_text_is_shown_as_typed(kind: str) -> None:
    article = parse_feed(FEEDS[kind], "https://hostile.example/feed").articles[0]
    assert "[bold]BOLD-MARKUP[/bold]" in article.title
    shown = plain_text(render_article(article), 400)
    for markup in MARKUP_PAYLOADS:
        assert markup in " ".join(shown.split()), markup


def test_dangerous_links_are_listed_but_never_safe() -> None:
    body = (
        "<p><a href='https://ok.example/'>ok</a> <a href='javascript:alert(1)'>js</a>"
        " <a href=' JaVaScRiPt:alert(2)'>js2</a> <a href='data:text/html,x'>data</a>"
        " <a href='file:///etc/passwd'>file</a></p>"
    )
    data = rss_with(f"<item><title>links</title><guid>1</guid><description>{escape(body)}"
                    "</description></item>")  # fmt: skip
    article = parse_feed(data, "https://hostile.example/feed").articles[0]
    links = render_article(article).links
    schemes = {link.url.split(":", 1)[0]: link.is_safe for link in links}
    assert schemes.get("javascript") is False
    assert schemes.get("data") is False
    assert schemes.get("file") is False
    assert schemes.get("https") is True
    assert "(not opened)" in plain_text(render_article(article), 200)


# --- the real command line ------------------------------------------------------------------


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    env.update(
        FORCE_COLOR="1",
        COLUMNS="100",
        TUINEWS_CONFIG=str(cwd / "config.toml"),
        TUINEWS_DB=str(cwd / "store.db"),
    )
    return subprocess.run(
        [str(TUINEWS), *args], capture_output=True, env=env, cwd=cwd, timeout=60, check=False
    )


def local_files(folder: Path) -> list[Path]:
    payload = all_payloads() + " " + markup_payloads()
    files = {
        "feed.xml": hostile_rss(),
        "atom.xml": hostile_atom(),
        "feed.json": hostile_json_feed(),
        "note.md": (
            f'---\ntitle: "PWN-MD {payload.encode("unicode_escape").decode()}"\n'
            f"author: PWN-AUTHOR\n---\n# Heading {payload}\n\n{payload}\n\n"
            f"[link]({x('https://ok.example/$(touch pwned)')})\n"
        ).encode(),
        "page.html": (
            f"<html><head><title>PWN-HTML {x(payload)} {reference_payloads()}</title></head>"
            f"<body><article><h1>{x(payload)}</h1><p>{x(payload)} {reference_payloads()}</p>"
            "</article></body></html>"
        ).encode(),
        "note.txt": f"PWN-TXT {payload}\n\n{payload}\n".encode(),
    }
    paths = []
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def test_cli_list_and_read_of_hostile_files(tmp_path: Path) -> None:
    for path in local_files(tmp_path):
        listed = run("list", str(path), cwd=tmp_path)
        assert listed.returncode == 0, (path.name, listed.stderr)
        assert_only_styles(listed.stdout.decode() + listed.stderr.decode())
        shown = run("read", str(path), cwd=tmp_path)
        assert shown.returncode == 0, (path.name, shown.stderr)
        assert_only_styles(shown.stdout.decode() + shown.stderr.decode())
        text = " ".join(SGR.sub("", shown.stdout.decode()).split())
        assert "PWN" in text
        as_json = run("list", "--json", str(path), cwd=tmp_path)
        assert_only_styles(as_json.stdout.decode())
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    ("name", "document"),
    [
        # libxml2 keeps 255 levels and drops what follows; markdown-it stopped at 20
        # levels of tokens (ten of lists) and dropped the rest of the document.
        ("bold.html", "<p>before</p>" + "<b>" * 255 + "deep" + "</b>" * 255 + "<p>after</p>"),
        ("divs.html", "<p>before</p>" + "<div>" * 300 + "deep" + "</div>" * 300 + "<p>after</p>"),
        (
            "list.md",
            "before\n\n" + "".join("  " * i + f"- deep{i}\n" for i in range(60)) + "\nafter\n",
        ),
        ("quote.md", "before\n\n" + ">" * 120 + " deep\n\nafter\n"),
    ],
)
def test_deeply_nested_local_files_keep_all_their_text(
    tmp_path: Path, name: str, document: str
) -> None:
    path = tmp_path / name
    path.write_text(document)
    shown = run("read", str(path), cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    text = " ".join(SGR.sub("", shown.stdout.decode()).split())
    assert "before" in text and "deep" in text and text.endswith("after")


def test_cli_import_of_hostile_opml_titles(tmp_path: Path) -> None:
    opml = tmp_path / "list.opml"
    title = "PWN-OPML " + all_payloads() + " " + markup_payloads()
    opml.write_bytes(
        hostile_opml([(title, "https://ok.example/feed"), (title, "https://ok.example/two")], title)
    )
    done = run("import", str(opml), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert_only_styles(done.stdout.decode() + done.stderr.decode())
    config = (tmp_path / "config.toml").read_text()
    assert not no_controls(config)
    feeds = run("feeds", cwd=tmp_path)
    assert_only_styles(feeds.stdout.decode() + feeds.stderr.decode())
    assert "[bold]BOLD-MARKUP[/bold]" in feeds.stdout.decode()


# --- end-to-end fuzz: bytes → parse_feed → render_article → terminal ---------------------------

_PIECES = st.one_of(
    st.text(max_size=8),
    st.sampled_from(
        [
            *(value for value in all_payloads().split(" ")),
            *reference_payloads().split(" "),
            *MARKUP_PAYLOADS,
            "&amp;#27;",
            "<b>",
            "</b>",
            "<a href='javascript:x'>j</a>",
            "<![CDATA[",
            "]]>",
            "&",
            "<",
            "\r\n",
            "&#xD800;",
            "\u2028",
            "&nbsp;",
        ]
    ),
)
_TEXT = st.lists(_PIECES, max_size=12).map("".join)


def _rss(title: str, body: str, link: str, author: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><item><title>{title}</title><link>{link}</link>"
        f"<author>{author}</author><description>{body}</description>"
        f"<enclosure url='{link}' type='{author}'/></item></channel></rss>"
    ).encode("utf-8", errors="surrogatepass")


def _atom(title: str, body: str, link: str, author: str) -> bytes:
    return (
        '<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title type='html'>{title}</title><entry><id>1</id><title>{title}</title>"
        f"<author><name>{author}</name></author><link href='{link}'/>"
        f"<content type='html'>{body}</content></entry></feed>"
    ).encode("utf-8", errors="surrogatepass")


def _json(title: str, body: str, link: str, author: str) -> bytes:
    item = {"id": "1", "title": title, "url": link, "content_html": body}
    item["authors"] = [{"name": author}]  # type: ignore[list-item]
    document = {"version": "https://jsonfeed.org/version/1.1", "title": title, "items": [item]}
    return str.encode(__import__("json").dumps(document), "utf-8")


_BUILDERS = {"rss": _rss, "atom": _atom, "json": _json}
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _to_screen(data: bytes, width: int) -> None:
    try:
        feed = parse_feed(data, "https://fuzz.example/feed")
    except SourceError:
        return
    for article in feed.articles[:3]:
        assert_only_styles(terminal_output(article, width))


@FUZZ
@given(
    kind=st.sampled_from(sorted(_BUILDERS)),
    escape_xml=st.booleans(),
    title=_TEXT,
    body=_TEXT,
    link=_TEXT,
    author=_TEXT,
    width=st.sampled_from([20, 45, 100]),
)
def test_fuzz_bytes_to_screen(
    kind: str, escape_xml: bool, title: str, body: str, link: str, author: str, width: int
) -> None:
    parts = [title, body, link, author]
    if escape_xml and kind != "json":
        parts = [x(part) for part in parts]
    _to_screen(_BUILDERS[kind](*parts), width)


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=2000), prefix=st.sampled_from([b"", b"<rss><channel><item>", b"{"]))
def test_fuzz_raw_bytes_to_screen(data: bytes, prefix: bytes) -> None:
    _to_screen(prefix + data, 60)


# --- the TUI (Pilot): what the composed screen holds -------------------------------------------


def _screen_text(app: object) -> str:
    strips = app.screen._compositor.render_strips()  # type: ignore[attr-defined]
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def _hostile_ctx(tmp_path: Path) -> object:
    from test_ui_support import make_ctx
    from tuinews.model import Subscription

    url = "https://hostile.example/feed"
    feed = parse_feed(hostile_rss(), url)
    for article in feed.articles:
        article.feed = url
    return make_ctx(tmp_path, [Subscription(url)], per_feed=0, extra={url: feed.articles})


async def _walk_screens(app: object, pilot: object) -> list[str]:
    from test_ui_support import settle

    seen = []
    await settle(pilot)
    for keys in (("enter",), ("j", "enter"), ("L",), ("escape", "i"), ("escape", "question_mark")):
        await pilot.press(*keys)  # type: ignore[attr-defined]
        await settle(pilot)
        seen.append(_screen_text(app))
    return seen


async def test_tui_shows_payloads_and_markup_as_text(tmp_path: Path) -> None:
    from tuinews.ui.app import create_app

    app = create_app(_hostile_ctx(tmp_path))
    async with app.run_test(size=(160, 50)) as pilot:
        screens = await _walk_screens(app, pilot)
        assert app.is_running  # "[@click=app.quit]" in a title did not quit
    everything = "\n".join(screens)
    assert not no_controls(everything), no_controls(everything)[:5]
    assert "\x1b" not in everything
    assert "[bold]BOLD-MARKUP" in everything
    assert "PWN-TITLE" in everything


async def test_tui_filters_raw_text_even_when_the_store_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_ui_support import make_article, make_ctx
    from tuinews.model import Subscription
    from tuinews.store import rows
    from tuinews.ui.app import create_app

    url = "https://hostile.example/feed"
    raw = make_article(url, 1, title="RAW " + all_payloads("RAW"))
    raw.author = all_payloads("AUTH")
    ctx = make_ctx(tmp_path, [Subscription(url, "RAWFEED " + all_payloads())], per_feed=0,
                   extra={url: [raw]})  # fmt: skip
    for name in ("_line", "_opt_line", "_opt_url", "clean_text"):
        monkeypatch.setattr(rows, name, lambda value: value)
    app = create_app(ctx)
    async with app.run_test(size=(160, 50)) as pilot:
        screens = await _walk_screens(app, pilot)
    everything = "\n".join(screens)
    assert "RAW" in everything
    assert not forbidden_sequences(everything.encode())
    assert "\x1b" not in everything


def test_cli_list_shows_no_trace_of_an_escape_sequence_in_a_title(tmp_path: Path) -> None:
    # JSON may carry ESC and BEL as \u escapes, so the title arrives with them intact.
    title = r"Evil \u001b]0;PWNED\u0007\u001b[31mRED\u001b[0m bell \u001b[2J \u009b2Jok"
    (tmp_path / "config.toml").write_text("")
    feed = tmp_path / "feed.json"
    feed.write_text(
        '{"version": "https://jsonfeed.org/version/1.1", "title": "F",'
        f' "items": [{{"id": "1", "title": "{title}", "content_text": "x"}}]}}'
    )
    listed = run("list", str(feed), cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert_only_styles(listed.stdout.decode())
    shown = SGR.sub("", listed.stdout.decode())
    assert "Evil RED bell ok" in shown
    assert "PWNED" not in shown and "[31m" not in shown and "2J" not in shown


def test_cli_output_holds_no_noncharacters(tmp_path: Path) -> None:
    # U+FFFF and friends: Rich counts a cell each, tmux draws none, and the row's border
    # moved left of the others'; a link copied or shown carried them too.
    (tmp_path / "config.toml").write_text("")
    feed = tmp_path / "feed.json"
    odd = r"\uffff\ufffe\ufdd0\ufdef"
    feed.write_text(
        '{"version": "https://jsonfeed.org/version/1.1", "title": "F' + odd + 'G",'
        f' "items": [{{"id": "1", "title": "A{odd}B", "url": "https://a.example/{odd}x",'
        f' "content_html": "<p>C{odd}D</p>", "authors": [{{"name": "E{odd}F"}}]}}]}}'
    )
    for args in (("list", str(feed)), ("read", str(feed))):
        shown = run(*args, cwd=tmp_path)
        assert shown.returncode == 0, shown.stderr
        text = SGR.sub("", shown.stdout.decode())
        assert "A B" in text and "F G" in text  # on one line, a space as a control
        assert not [char for char in text if char in "\uffff\ufffe\ufdd0\ufdef"], args
    read = SGR.sub("", run("read", str(feed), cwd=tmp_path).stdout.decode())
    assert "https://a.example/x" in read and "CD" in read and "E F" in read


# --- astral code points terminals draw as they please -------------------------------------


async def test_tui_rows_keep_their_borders_beside_astral_noncharacters(tmp_path: Path) -> None:
    # A feed title, a headline, a body and a link holding U+1FFFE, U+E0080, U+10FFFF:
    # Rich counted a cell for most, tmux draws none, so each such row had its pane
    # borders (and the next pane) drawn columns left of the others'. Every row of the
    # screen must take the terminal's whole width, as the terminal draws it.
    from datetime import timedelta

    from hostile import ODD_ASTRAL, terminal_columns, undrawable
    from test_ui_support import BASE_DATE, make_article, make_ctx, running, settle
    from tuinews.model import Subscription

    odd = ODD_ASTRAL
    url = "https://odd.example/feed"
    newest = make_article(
        url,
        1,
        title=f"Odd{odd} headline 😀 漢字",
        when=BASE_DATE + timedelta(hours=1),
        body=f"<p>Bo{odd}dy</p><p><a href='https://o.example/{odd}b'>li{odd}nk</a></p>",
        link=f"https://o.example/{odd}",
    )
    subs = [Subscription("https://plain.example/feed", "Plain"), Subscription(url, f"Odd{odd}")]
    ctx = make_ctx(tmp_path, subs, per_feed=3, extra={url: [newest]})
    encoded = "https://o.example/%F0%9F%BF%BE%F3%A0%82%80%F4%8F%BF%BF%F0%9F%BF%BD"

    def check_rows(screen: str) -> None:
        lines = screen.split("\n")
        assert len(lines) == 40
        shifted = [line for line in lines if terminal_columns(line) != 120]
        assert not shifted, shifted[:3]
        assert not undrawable(screen)

    async with running(ctx, size=(120, 40)) as (app, pilot):
        first = _screen_text(app)
        check_rows(first)
        assert "Odd\ufffd\ufffd\ufffd\ufffd headline 😀 漢字" in first
        await pilot.press("enter")  # the article, in the reader pane
        await settle(pilot)
        check_rows(_screen_text(app))
        await pilot.press("y")  # its link: copied as its header shows it
        await settle(pilot)
        assert app.clipboard == encoded
        reading = _screen_text(app)
        check_rows(reading)
        assert f"Link: {encoded}" in reading
        await pilot.press("L")  # the links list: [1] is the body's link
        await settle(pilot)
        check_rows(_screen_text(app))
        assert encoded + "b" in _screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert app.clipboard == encoded + "b"


def _odd_json_feed(title: str, headline: str, link: str, odd: str) -> str:
    import json

    item = {
        "id": "1",
        "title": headline,
        "url": link,
        "content_html": f"<p>C{odd}D</p>",
        "date_published": "2026-03-01T10:00:00Z",
        "authors": [{"name": f"E{odd}F"}],
    }
    version = "https://jsonfeed.org/version/1.1"
    return json.dumps({"version": version, "title": title, "items": [item]}, ensure_ascii=False)


def test_cli_columns_stay_in_place_beside_astral_noncharacters(tmp_path: Path) -> None:
    # A feed named "F<U+1FFFE…>G": `list` padded the name to 24 characters, tmux drew
    # it in fewer columns, and the titles after it started left of the other rows'.
    from hostile import ODD_ASTRAL, terminal_columns, undrawable

    odd = ODD_ASTRAL
    (tmp_path / "plain.json").write_text(
        _odd_json_feed("Plain", "Story one", "https://a.example/1", ""), encoding="utf-8"
    )
    (tmp_path / "odd.json").write_text(
        _odd_json_feed(f"F{odd}G", f"Story{odd} two", f"https://a.example/{odd}x", odd),
        encoding="utf-8",
    )
    (tmp_path / "config.toml").write_text(
        "".join(f'[[feeds]]\nurl = "{tmp_path / name}"\n\n' for name in ("plain.json", "odd.json"))
    )
    listed = run("list", str(tmp_path / "plain.json"), str(tmp_path / "odd.json"), cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.decode().splitlines()
    assert len(lines) == 2
    assert {terminal_columns(line[: line.index("Story")]) for line in lines} == {50}
    assert not undrawable(listed.stdout.decode())
    assert "F\ufffd\ufffd\ufffd\ufffdG" in lines[1]

    shown = SGR.sub("", run("read", str(tmp_path / "odd.json"), cwd=tmp_path).stdout.decode())
    assert not undrawable(shown)
    assert "C\ufffd\ufffd\ufffd\ufffdD" in shown and "E\ufffd\ufffd\ufffd\ufffdF" in shown
    encoded = "https://a.example/%F0%9F%BF%BE%F3%A0%82%80%F4%8F%BF%BF%F0%9F%BF%BDx"
    assert f"Link: {encoded}" in shown

    assert run("refresh", "--quiet", cwd=tmp_path).returncode == 0
    tsv = run("feeds", cwd=tmp_path).stdout.decode()
    assert "F\ufffd\ufffd\ufffd\ufffdG\t" in tsv and not undrawable(tsv)
    # The table, as a terminal shows it: each count under its heading.
    pexpect = pytest.importorskip("pexpect")
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(
        TERM="xterm-256color",
        TUINEWS_CONFIG=str(tmp_path / "config.toml"),
        TUINEWS_DB=str(tmp_path / "store.db"),
    )
    child = pexpect.spawn(str(TUINEWS), ["feeds"], env=env, dimensions=(20, 100), timeout=30)
    table = child.read().decode()
    child.close()
    rows = [SGR.sub("", line) for line in table.splitlines() if line.strip()]
    assert len(rows) == 3, rows
    at = [
        terminal_columns(row[: row.index("1/1" if n else "Unread")]) for n, row in enumerate(rows)
    ]
    assert at == [at[0]] * 3, rows
    assert not undrawable(table)
