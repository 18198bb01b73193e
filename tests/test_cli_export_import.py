"""The subscription commands at their edges: where `export -o` writes, one folder per tag,
import's hints, a settings file named but missing, and output in narrow encodings."""

from __future__ import annotations

import os
import stat
import subprocess
import threading
import tomllib
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from feedserver import FeedServer, rss, static
from test_cli import TUINEWS, Cli
from test_cli_subscriptions import feeds_in
from tuinews.store import Store


def subscribe(cli: Cli, *urls: str, tag: str | None = None) -> None:
    for url in urls:
        args = ["add", url] + (["--tag", tag] if tag else [])
        assert cli.call(*args).status == 0


def is_opml(data: bytes) -> bool:
    return data.startswith(b"<?xml") and data.rstrip().endswith(b"</opml>")


# ---------------------------------------------------------------- export -o: where it writes


def test_export_through_a_symlink_updates_its_target_and_keeps_the_link(cli: Cli) -> None:
    subscribe(cli, "https://a.example/rss")
    dotfiles = cli.root / "dotfiles"
    dotfiles.mkdir()
    target = dotfiles / "feeds.opml"
    target.write_text("old\n")
    link = cli.root / "link.opml"
    link.symlink_to(target)
    result = cli.call("export", "-o", str(link))
    assert result.status == 0, result.err
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert is_opml(target.read_bytes())
    assert sorted(p.name for p in dotfiles.iterdir()) == ["feeds.opml"]  # no temporary left


def test_export_onto_the_settings_file_or_the_store_is_refused(cli: Cli) -> None:
    subscribe(cli, "https://a.example/rss")
    Store.open(cli.db).close()
    settings = cli.config.read_bytes()
    link = cli.root / "link.toml"
    link.symlink_to(cli.config)
    for name, what in (
        (str(cli.config), "the settings file"),
        (str(link), "the settings file"),
        (str(cli.db), "the store"),
    ):
        result = cli.call("export", "-o", name)
        assert result.status == 1
        assert result.err_lines[0].startswith(f"tuinews: {name}: is {what} (")
    # Replaced by the list, every subscription and setting was gone.
    assert cli.config.read_bytes() == settings
    assert cli.call("feeds").status == 0


def test_export_into_a_missing_folder_fails_like_a_redirection_and_creates_nothing(
    cli: Cli,
) -> None:
    subscribe(cli, "https://a.example/rss")
    missing = cli.root / "nonexist" / "x.opml"
    result = cli.call("export", "-o", str(missing))
    assert result.status == 1
    assert result.err_lines == [f"tuinews: {missing}: cannot write: No such file or directory"]
    assert not missing.parent.exists()
    # Through a symlink whose target's folder is missing, too.
    dangling = cli.root / "dangling.opml"
    dangling.symlink_to(cli.root / "gone" / "deeper" / "feeds.opml")
    through_link = cli.call("export", "-o", str(dangling))
    assert through_link.status == 1
    assert through_link.err_lines == [
        f"tuinews: {dangling}: cannot write: No such file or directory"
    ]
    assert not (cli.root / "gone").exists()


def test_export_to_dash_writes_to_standard_output(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscribe(cli, "https://a.example/rss")
    monkeypatch.chdir(cli.root)
    result = cli.call("export", "-o", "-")
    assert result.status == 0, result.err
    assert "https://a.example/rss" in result.out and result.out.startswith("<?xml")
    assert result.err == ""
    assert not (cli.root / "-").exists()


def test_export_keeps_a_files_mode_and_creates_new_ones_with_the_umask(cli: Cli) -> None:
    subscribe(cli, "https://a.example/rss")
    existing = cli.root / "shared.opml"
    existing.write_text("old\n")
    existing.chmod(0o640)
    new = cli.root / "new.opml"
    previous = os.umask(0o022)
    try:
        assert cli.call("export", "-o", str(existing)).status == 0
        assert cli.call("export", "-o", str(new)).status == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640
    assert stat.S_IMODE(new.stat().st_mode) == 0o644
    assert is_opml(existing.read_bytes()) and is_opml(new.read_bytes())


def test_export_of_a_feed_with_a_password_is_readable_by_its_owner_only(cli: Cli) -> None:
    # A tester's find: the settings file is 0600, its export was 0644 for all to read.
    subscribe(cli, "https://alice:s3cret@private.example/rss")
    new = cli.root / "new.opml"
    previous = os.umask(0o022)
    try:
        assert cli.call("export", "-o", str(new)).status == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE(new.stat().st_mode) == 0o600
    assert b"alice:s3cret@" in new.read_bytes()
    # Nor into a file that was there for all to read (a tester's find).
    new.chmod(0o644)
    assert cli.call("export", "-o", str(new)).status == 0
    assert stat.S_IMODE(new.stat().st_mode) == 0o600
    # The name other readers show is the address without its password; imported
    # again, the feed is still untitled and keeps its password.
    (outline,) = [line for line in new.read_text().splitlines() if "xmlUrl" in line]
    assert 'text="https://alice:***@private.example/rss"' in outline
    other = cli.root / "other.toml"
    assert cli.call("import", str(new), "--config", str(other)).status == 0
    assert other.read_text().count("s3cret") == 1 and "title" not in other.read_text()


def test_export_into_a_fifo_writes_to_its_reader_and_leaves_the_fifo(cli: Cli) -> None:
    subscribe(cli, "https://a.example/rss")
    fifo = cli.root / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = cli.call("export", "-o", str(fifo))
    reader.join(timeout=60)
    assert result.status == 0, result.err
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert received and is_opml(received[0])


def test_export_to_dev_fd_writes_to_that_descriptor_as_opened(cli: Cli) -> None:
    """`-o >(wc -c)` and `3>>log` name a descriptor: written as it is, appending here."""
    subscribe(cli, "https://a.example/rss")
    log = cli.root / "log"
    log.write_bytes(b"earlier line\n")
    with open(log, "ab") as appending:
        number = appending.fileno()
        done = subprocess.run(
            [str(TUINEWS), "export", "-o", f"/dev/fd/{number}"],
            pass_fds=(number,),
            capture_output=True,
            env=cli.env,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    assert done.stderr.decode() == f"wrote 1 feed to /dev/fd/{number}\n"
    data = log.read_bytes()
    assert data.startswith(b"earlier line\n") and is_opml(data.removeprefix(b"earlier line\n"))
    assert stat.S_ISREG(log.stat().st_mode)


def full_device(tmp_path: Path) -> Path:
    """A device that answers every write with ENOSPC. As root, a node of our own: code
    that renames over its target would otherwise replace the system's /dev/full."""
    if os.geteuid() != 0:
        return Path("/dev/full")
    node = tmp_path / "full"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    except OSError:
        pytest.skip("root without mknod: cannot make a safe full device")
    return node


def test_export_to_a_full_device_says_so_in_one_line(cli: Cli) -> None:
    subscribe(cli, "https://a.example/rss")
    device = full_device(cli.root)
    result = cli.call("export", "-o", str(device))
    assert result.status == 1
    assert result.err_lines == [f"tuinews: {device}: cannot write: No space left on device"]
    assert stat.S_ISCHR(device.stat().st_mode)  # still the device, not an XML file


def test_export_counts_feeds_in_words(cli: Cli) -> None:
    out = cli.root / "out.opml"
    subscribe(cli, "https://a.example/rss")
    assert cli.call("export", "-o", str(out)).err == f"wrote 1 feed to {out}\n"
    subscribe(cli, "https://b.example/rss")
    assert cli.call("export", "-o", str(out)).err == f"wrote 2 feeds to {out}\n"


# ---------------------------------------------------------------- export: folders


def folder_names(document: bytes) -> list[str]:
    body = etree.fromstring(document).find("body")
    assert body is not None
    return [str(o.get("text")) for o in body if o.get("xmlUrl") is None]


def test_feeds_sharing_a_tag_apart_in_the_list_share_one_folder(cli: Cli) -> None:
    subscribe(cli, "https://a.example/rss", tag="tech")
    subscribe(cli, "https://b.example/rss")
    subscribe(cli, "https://c.example/rss", tag="news")
    subscribe(cli, "https://d.example/rss", tag="tech")
    document = cli.call("export").out.encode()
    assert folder_names(document) == ["tech", "news"]
    tech = etree.fromstring(document).find("body/outline[@text='tech']")
    assert tech is not None
    assert [o.get("xmlUrl") for o in tech] == ["https://a.example/rss", "https://d.example/rss"]
    # Never fetched, no title anywhere: readers show the URL rather than an empty name.
    assert [o.get("text") for o in tech] == ["https://a.example/rss", "https://d.example/rss"]
    fresh = cli.root / "fresh.toml"
    exported = cli.root / "out.opml"
    exported.write_bytes(document)
    assert cli.call("--config", str(fresh), "import", str(exported)).status == 0
    assert sorted(feeds_in(fresh)) == sorted(feeds_in(cli.config))  # no URL became a title


def test_corpus_lists_survive_import_export_import(cli: Cli, corpus_opml: Path) -> None:
    for listing in sorted(corpus_opml.glob("*.opml")):
        first = cli.root / f"{listing.stem}.toml"
        assert cli.call("--config", str(first), "import", str(listing)).status == 0, listing
        exported = cli.root / f"{listing.stem}.out.opml"
        assert cli.call("--config", str(first), "export", "-o", str(exported)).status == 0
        document = exported.read_bytes()
        repeated = [name for name, n in Counter(folder_names(document)).items() if n > 1]
        assert not repeated, (listing.name, repeated)
        second = cli.root / f"{listing.stem}.again.toml"
        again = cli.call("--config", str(second), "import", str(exported))
        assert again.status == 0, (listing.name, again.err)
        assert sorted(feeds_in(second)) == sorted(feeds_in(first)), listing.name


# ---------------------------------------------------------------- import: hints and URLs


@pytest.mark.parametrize(
    "name", ["city-desk.rss", "lab-notes.atom", "release-notes.json", "field-journal.rdf"]
)
def test_importing_a_feed_says_to_add_it(cli: Cli, sample_feeds: Path, name: str) -> None:
    feed = cli.root / f"my {name}"
    feed.write_bytes((sample_feeds / name).read_bytes())
    result = cli.call("import", str(feed))
    assert result.status == 1
    assert result.err_lines == [
        f"tuinews: {feed}: this is a feed, not a subscription list; "
        f"subscribe to it with: tuinews add '{feed}'"
    ]
    assert cli.config.read_text() == ""


def test_import_fetches_a_list_from_the_web(cli: Cli, server: FeedServer) -> None:
    listing = (
        b'<opml version="2.0"><body><outline text="Tech">'
        b'<outline text="Remote" xmlUrl="https://remote.example/feed"/>'
        b'<outline text="Local" xmlUrl="file:///etc/passwd"/>'
        b"</outline></body></opml>"
    )
    url = server.route("/subs.opml", static(listing, content_type="text/x-opml"))
    result = cli.call("import", url)
    assert result.status == 0, result.err
    assert result.out == "imported 1 feed (1 unusable entry skipped)\n"
    assert feeds_in(cli.config) == [("https://remote.example/feed", "Remote", ("Tech",))]
    # A list from the web cannot subscribe the reader to local files.
    assert "/etc/passwd" in result.err


def test_import_from_the_web_keeps_the_refresh_size_limit(cli: Cli, server: FeedServer) -> None:
    cli.config.write_text("[refresh]\nmax_bytes = 2048\n")
    url = server.route("/big.opml", static(b"https://a.example/feed\n" * 100))
    result = cli.call("import", url)
    assert result.status == 1
    assert result.err_lines == [f"tuinews: {url}: response larger than 2 KB"]
    feed = server.route("/feed", static(rss(1)))
    assert "this is a feed" in cli.call("import", feed).err


# ---------------------------------------------------------------- a settings file named but missing


READERS = [
    ["feeds"],
    ["list"],
    ["refresh"],
    ["export"],
    ["remove", "x"],
    ["mark-read", "--all"],
    ["cleanup"],
    ["read", "0123abcd"],
    [],  # the reader on the subscriptions
]


@pytest.mark.parametrize("args", READERS, ids=lambda args: " ".join(args) or "reader")
def test_a_missing_config_given_by_option_is_an_error(cli: Cli, args: list[str]) -> None:
    missing = cli.root / "typo.toml"
    result = cli.call("--config", str(missing), *args)
    assert (result.status, result.out) == (2, "")
    assert result.err_lines == [f"tuinews: {missing}: no such file (given by --config)"]
    assert not missing.exists()


def test_a_missing_config_given_by_the_environment_is_an_error(cli: Cli) -> None:
    missing = cli.root / "typo.toml"
    result = cli.run("feeds", env={"TUINEWS_CONFIG": str(missing)})
    assert result.status == 2
    assert result.err == f"tuinews: {missing}: no such file (given by TUINEWS_CONFIG)\n"


def test_add_and_import_create_a_named_config_and_sources_need_none(
    cli: Cli, sample_feeds: Path
) -> None:
    new = cli.root / "new.toml"
    assert cli.call("--config", str(new), "add", "https://a.example/rss").status == 0
    assert feeds_in(new) == [("https://a.example/rss", None, ())]
    other = cli.root / "other.toml"
    listing = str(sample_feeds / "subscriptions.opml")
    assert cli.call("--config", str(other), "import", listing).status == 0
    assert feeds_in(other)
    # Reading named sources does not use the subscriptions.
    absent = str(cli.root / "absent.toml")
    shown = cli.call("--config", absent, "list", str(sample_feeds / "city-desk.rss"))
    assert shown.status == 0 and shown.out


def test_the_default_config_missing_is_a_first_run(cli: Cli, tmp_path: Path) -> None:
    env = {key: value for key, value in cli.env.items() if key != "TUINEWS_CONFIG"}
    done = subprocess.run(
        [str(TUINEWS), "feeds"], capture_output=True, env=env, timeout=60, check=False
    )
    assert done.returncode == 0
    assert b"no subscriptions yet" in done.stderr


# ---------------------------------------------------------------- narrow output encodings


WIDE_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>新闻 – Nachrichten</title><link>http://example.com/</link>
<item><title>中文标题 – “quoted” …</title><link>http://example.com/1</link><guid>1</guid>
<pubDate>Mon, 01 Jan 2024 10:00:00 +0000</pubDate><description>正文</description></item>
</channel></rss>
"""


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_output_in_a_narrow_encoding_replaces_what_it_cannot_show(cli: Cli, encoding: str) -> None:
    feed = cli.root / "wide.rss"
    feed.write_text(WIDE_FEED, encoding="utf-8")
    narrow = {"PYTHONIOENCODING": encoding}
    assert cli.run("add", str(feed), env=narrow).status == 0
    for args in (["refresh"], ["list"], ["feeds"], ["read", str(feed)], ["list", str(feed)]):
        done = subprocess.run(
            [str(TUINEWS), *args],
            capture_output=True,
            env={**cli.env, **narrow},
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, (args, done.stderr)
        assert b"Traceback" not in done.stderr
        if args != ["refresh"]:  # the others show the feed's or the article's title
            assert "?" in (done.stdout + done.stderr).decode(encoding), args
    missing = subprocess.run(
        [str(TUINEWS), "import", str(cli.root / "订阅.opml")],
        capture_output=True,
        env={**cli.env, **narrow},
        timeout=60,
        check=False,
    )
    assert missing.returncode == 1
    assert missing.stderr.decode(encoding).startswith(f"tuinews: {cli.root}/??.opml: ")


def test_import_counts_repeats_in_the_list_apart_from_feeds_already_subscribed(
    cli: Cli,
) -> None:
    listing = cli.root / "repeats.opml"
    listing.write_text(
        '<opml version="2.0"><body>'
        '<outline text="A" xmlUrl="https://a.example/rss"/>'
        '<outline text="A again" xmlUrl="https://A.example:443/rss#latest"/>'
        '<outline text="B" xmlUrl="https://b.example/rss"/>'
        '<outline text="B again" xmlUrl="https://b.example/./rss"/>'
        '<outline text="C" xmlUrl="https://c.example/rss"/>'
        "</body></opml>"
    )
    first = cli.call("import", str(listing))
    assert first.status == 0, first.err
    assert first.out == "imported 3 feeds (2 repeated entries merged)\n"
    again = cli.call("import", str(listing))
    assert again.out == ("imported 0 feeds (3 already subscribed, 2 repeated entries merged)\n")


def test_importing_a_list_cut_short_says_so(cli: Cli) -> None:
    # A download cut off midway: recover mode reads what is there, and the user is told
    # that the rest may be missing, not left to take it for the whole list.
    listing = cli.root / "cut.opml"
    listing.write_text(
        '<opml version="2.0"><body>\n<outline text="A" xmlUrl="https://a.example/rss"/>\n'
        '<outline text="B" xmlUrl="https://b.example/r'
    )
    result = cli.call("import", str(listing))
    assert result.status == 0, result.err
    first = result.err.splitlines()[0]  # libxml2's own words in the brackets
    assert first.startswith(f"tuinews: {listing}: damaged XML at line 3 (")
    assert first.endswith("): read what could be read, some feeds may be missing")
    assert result.out == "imported 1 feed (1 unusable entry skipped)\n"


def test_export_leaves_a_feed_without_a_title_untitled(cli: Cli, server: FeedServer) -> None:
    """A feed that names itself nowhere goes by its host in `feeds`; exported as its
    title, the host would become the feed's title in every reader importing the list."""
    untitled = b'<?xml version="1.0"?><rss version="2.0"><channel><item><guid>1</guid>'
    untitled += b"<title>one</title></item></channel></rss>"
    url = server.route("/blog/feed.xml", static(untitled))
    subscribe(cli, url)
    assert cli.run("refresh").status == 0
    assert cli.call("feeds").out.startswith("127.0.0.1\t")
    outline = etree.fromstring(cli.call("export").out.encode()).find("body/outline")
    assert outline is not None
    assert outline.get("title") is None and outline.get("text") == url


def test_a_feeds_web_site_survives_import_and_export(cli: Cli, tmp_path: Path) -> None:
    listed = tmp_path / "sites.opml"
    listed.write_text(
        '<opml version="2.0"><body><outline text="News" title="News" type="rss" '
        'xmlUrl="https://news.example/feed.xml" htmlUrl="https://news.example/"/>'
        "</body></opml>"
    )
    assert cli.call("import", str(listed)).status == 0
    assert 'site = "https://news.example/"' in cli.config.read_text()
    exported = cli.call("export").out
    assert 'htmlUrl="https://news.example/"' in exported


def test_import_reads_html_entities_in_titles_folders_and_addresses(cli: Cli) -> None:
    listing = cli.root / "escaped.opml"
    listing.write_text(
        '<?xml version="1.0"?>\n<opml version="1.0"><head><title>mine</title></head><body>\n'
        '<outline text="Actualit&eacute;s">\n'
        '<outline text="Caf&eacute; &amp; Cr&egrave;me&nbsp;Blog" '
        'xmlUrl="https://example.org/caf&eacute;.xml"/>\n'
        "</outline></body></opml>\n"
    )
    result = cli.call("import", str(listing))
    assert (result.status, result.err) == (0, "")
    assert result.out == "imported 1 feed\n"
    # The address as a feed URL is stored: its é percent-encoded, not dropped.
    assert feeds_in(cli.config) == [
        ("https://example.org/caf%C3%A9.xml", "Café & Crème Blog", ("Actualités",))
    ]


SITES_OPML = (
    b'<opml version="2.0"><body>'
    b'<outline text="x" xmlUrl="https://example.org/x.xml" htmlUrl="javascript:alert(1)"/>'
    b'<outline text="y" xmlUrl="https://example.org/y.xml" htmlUrl="not a url at all"/>'
    b'<outline text="z" xmlUrl="https://example.org/z.xml" htmlUrl="file:///etc/passwd"/>'
    b'<outline text="w" xmlUrl="https://example.org/w.xml" htmlUrl="https://example.org/"/>'
    b"</body></opml>"
)


@pytest.mark.parametrize("source", ["file", "stdin", "http"])
def test_import_keeps_only_web_site_addresses_from_any_source(
    cli: Cli, server: FeedServer, source: str
) -> None:
    listing = cli.root / "sites.opml"
    listing.write_bytes(SITES_OPML)
    relative = None  # no page a local list's relative address could name
    if source == "file":
        result = cli.call("import", str(listing))
    elif source == "stdin":
        result = cli.run("import", "-", stdin=SITES_OPML)
    else:
        url = server.route("/sites.opml", static(SITES_OPML, content_type="text/x-opml"))
        result = cli.call("import", url)
        relative = server.url("/notaurlatall")  # read against the list, as a page's link
    # A site is no reason to skip its feed: the four are imported, with only a web site.
    assert (result.status, result.out, result.err) == (0, "imported 4 feeds\n", "")
    stored = tomllib.loads(cli.config.read_text())["feeds"]
    assert [(feed["url"], feed.get("site")) for feed in stored] == [
        ("https://example.org/x.xml", None),
        ("https://example.org/y.xml", relative),
        ("https://example.org/z.xml", None),
        ("https://example.org/w.xml", "https://example.org/"),
    ]
    assert cli.call("feeds").status == 0  # the settings file it wrote reads back


def test_paths_under_an_unknown_users_home_are_one_line_errors(cli: Cli) -> None:
    # Path.expanduser raises RuntimeError on `~NAME` naming no user: a traceback.
    nobody = "~nosuchuser-tuinews-test"
    urls = cli.root / "urls"
    urls.write_text('https://a.example/rss news\n"~My Blog" news\n')
    imported = cli.call("import", str(urls))
    assert imported.status == 0, imported.err
    assert imported.err_lines == [
        f"tuinews: {urls}: skipped line 2 '~My Blog': not a URL, nor a user's home folder "
        '(a "~title" goes after the URL)'
    ]
    assert imported.out == "imported 1 feed (1 unusable entry skipped)\n"
    for args in (["list", f"{nobody}/feed.xml"], ["import", f"{nobody}/l.opml"]):
        result = cli.call(*args)
        assert result.status == 1
        assert result.err_lines == [
            f"tuinews: {nobody}/{args[1].rsplit('/')[-1]}: no such user 'nosuchuser-tuinews-test'"
        ]
    exported = cli.call("export", "-o", f"{nobody}/l.opml")
    assert exported.err_lines == [
        f"tuinews: {nobody}/l.opml: no such user 'nosuchuser-tuinews-test'"
    ]


def test_import_of_a_latin1_list_reads_it_as_windows_1252_and_says_so(cli: Cli) -> None:
    listing = cli.root / "es.opml"
    listing.write_bytes(
        '<opml version="1.0"><body><outline text="Noticias de España" '
        'xmlUrl="https://es.example/rss"/></body></opml>'.encode("cp1252")
    )
    result = cli.call("import", str(listing))
    assert result.status == 0, result.err
    assert result.err_lines == [
        f"tuinews: {listing}: not UTF-8 text; read as windows-1252 (Latin-1)"
    ]
    assert feeds_in(cli.config) == [("https://es.example/rss", "Noticias de España", ())]


@pytest.mark.parametrize(
    "encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"]
)
def test_import_reads_a_list_in_utf16_or_utf32(cli: Cli, encoding: str) -> None:
    # Its bytes do not start with "<" (a byte-order mark, or zero bytes beside it): the
    # list was refused as "not OPML or a newsboat urls file", or as binary data.
    listing = cli.root / "list.opml"
    listing.write_bytes(
        f'<?xml version="1.0" encoding="{encoding.upper()}"?>\n<opml version="1.0"><body>'
        '<outline text="News"><outline text="Café" xmlUrl="https://enc.example/feed"/>'
        "</outline></body></opml>\n".encode(encoding)
    )
    result = cli.call("import", str(listing))
    assert (result.status, result.err, result.out) == (0, "", "imported 1 feed\n")
    assert feeds_in(cli.config) == [("https://enc.example/feed", "Café", ("News",))]
    feed = '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    listing.write_bytes(feed.encode(encoding))
    refused = cli.call("import", str(listing))
    assert refused.status == 1
    assert "this is a feed, not a subscription list" in refused.err


def test_import_says_a_hidden_newsboat_feed_is_imported_visible(cli: Cli) -> None:
    urls = cli.root / "urls"
    urls.write_text(
        'https://a.example/rss\n"query:Unread:unread = \\"yes\\""\nhttps://b.example/rss "!" tech\n'
    )
    result = cli.call("import", str(urls))
    assert result.status == 0, result.err
    assert result.err_lines == [
        f"tuinews: {urls}: line 3 'https://b.example/rss': newsboat's hidden-feed mark '!' "
        "is not supported; imported as a visible feed",
        f"tuinews: {urls}: skipped line 2 'query:Unread:unread = \"yes\"': "
        "query feeds are not supported",
    ]
    assert result.out == "imported 2 feeds (1 unusable entry skipped)\n"


@pytest.mark.parametrize(
    "document",
    [
        '<opml version="2.0"><head/><body/></opml>',
        '<?xml version="1.0"?>\n<opml version="1.0"><body>'
        '<outline text="Empty" type="folder"/></body></opml>',
    ],
)
def test_import_of_an_opml_list_without_feeds_says_so(cli: Cli, document: str) -> None:
    # It said "expected OPML or a newsboat urls file", as if the list were not understood.
    listing = cli.root / "empty.opml"
    listing.write_text(document)
    result = cli.call("import", str(listing))
    assert result.status == 1
    assert result.err_lines == [f"tuinews: {listing}: the OPML list has no feeds"]
