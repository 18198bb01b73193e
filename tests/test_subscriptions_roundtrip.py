"""The subscription list as a user handles it: export then import takes every feed back
(local files too), one `--tag` is one tag, import accounts for every entry, `remove`
takes its own comments, and names and passwords are shown as people read them."""

from __future__ import annotations

from pathlib import Path

import pytest

from test_cli import Cli
from test_cli_subscriptions import feeds_in

RSS = "<?xml version='1.0'?><rss version='2.0'><channel><title>Local</title></channel></rss>"


def local_feed(folder: Path, name: str = "feed.rdf") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    feed = folder / name
    feed.write_text(RSS)
    return feed


# ---------------------------------------------------------------- 1: local feeds round-trip


def test_export_then_import_from_a_file_keeps_local_feeds(cli: Cli) -> None:
    feed = local_feed(cli.root / "feeds")
    assert cli.call("add", str(feed), "--tag", "linux").status == 0
    assert cli.call("add", "https://a.example/rss").status == 0
    exported = cli.root / "elsewhere" / "e.opml"
    exported.parent.mkdir()
    assert cli.call("export", "-o", str(exported)).status == 0
    fresh = cli.root / "fresh.toml"
    again = cli.call("--config", str(fresh), "import", str(exported))
    assert (again.status, again.out) == (0, "imported 2 feeds\n")
    # Named, not skipped: a list naming a file one did not expect does not go unseen.
    assert again.err_lines == [
        f"tuinews: {exported}: subscribing to the local file '{feed}', outside the list's folder"
    ]
    assert feeds_in(fresh) == [(str(feed), None, ("linux",)), ("https://a.example/rss", None, ())]


def test_export_piped_into_import_keeps_local_feeds(cli: Cli) -> None:
    feed = local_feed(cli.root / "feeds")
    assert cli.call("add", str(feed)).status == 0
    document = cli.run("export").out.encode()
    fresh = cli.root / "fresh.toml"
    piped = cli.run("--config", str(fresh), "import", "-", stdin=document)
    assert (piped.status, piped.out) == (0, "imported 1 feed\n")
    assert feeds_in(fresh) == [(str(feed), None, ())]


def test_a_list_file_may_not_name_local_files_that_are_not_feeds(cli: Cli) -> None:
    """What the folder rule protected against: a downloaded list subscribing the reader to
    a secret. Outside the list's folder only feed files are taken."""
    secret = cli.root / "home" / ".ssh" / "id_rsa"
    secret.parent.mkdir(parents=True)
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    listing = cli.root / "downloads" / "list.opml"
    listing.parent.mkdir()
    listing.write_text(
        '<opml version="2.0"><body>'
        f'<outline text="Key" xmlUrl="file://{secret}"/>'
        f'<outline text="Folder" xmlUrl="{secret.parent}"/>'
        f'<outline text="Gone" xmlUrl="file://{cli.root}/gone.xml"/>'
        '<outline text="Web" xmlUrl="https://web.example/rss"/>'
        "</body></opml>"
    )
    result = cli.call("import", str(listing))
    assert (result.status, result.out) == (0, "imported 1 feed (3 unusable entries skipped)\n")
    assert result.err_lines == [
        f"tuinews: {listing}: skipped 'Key': local file outside the list's folder, "
        f"not a feed '{secret}' (import --trust-local takes it)",
        f"tuinews: {listing}: skipped 'Folder': local folder outside the list's folder "
        f"'{secret.parent}' (import --trust-local takes it)",
        f"tuinews: {listing}: skipped 'Gone': no such file or directory '{cli.root}/gone.xml'",
    ]
    assert feeds_in(cli.config) == [("https://web.example/rss", "Web", ())]


def test_a_list_cannot_reach_outside_its_folder_through_a_symlink(cli: Cli) -> None:
    """A tester's find: "L/../../.ssh" was checked where it leads (L a symlink into the
    list's folder: its own decoy .ssh) and stored tidied as text (the user's ~/.ssh)."""
    home = cli.root / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    pack = home / "pack"
    (pack / "a" / "b").mkdir(parents=True)
    (pack / ".ssh").mkdir()
    (pack / ".ssh" / "id_rsa").write_text("decoy\n")
    (pack / "L").symlink_to("a/b")
    listing = pack / "list.opml"
    listing.write_text(
        '<opml version="2.0"><body><outline text="x" xmlUrl="L/../../.ssh"/></body></opml>'
    )
    result = cli.call("import", str(listing))
    assert result.status == 1
    assert result.err_lines[0] == (
        f"tuinews: {listing}: skipped 'x': local folder outside the list's folder "
        f"'{home / '.ssh'}' (import --trust-local takes it)"
    )
    assert ".ssh" not in (cli.config.read_text() if cli.config.exists() else "")


def test_a_fifo_named_by_a_list_is_refused_even_when_trusted(cli: Cli) -> None:
    import os

    fifo = cli.root / "elsewhere" / "pipe"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    listing = cli.root / "lists" / "list.opml"
    listing.parent.mkdir()
    listing.write_text(
        f'<opml version="2.0"><body><outline text="P" xmlUrl="{fifo}"/></body></opml>'
    )
    for options in ([], ["--trust-local"]):
        result = cli.call("import", *options, str(listing))
        assert result.err_lines[0] == (
            f"tuinews: {listing}: skipped 'P': local file that is not a regular file or "
            f"folder '{fifo}'"
        )


def test_a_list_in_the_home_folder_cannot_reach_its_hidden_files(cli: Cli) -> None:
    """A tester's find: a list saved in ~ named .ssh/id_rsa, inside its own folder, and
    the key became an article. A FIFO there was taken too."""
    import os

    home = cli.root / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    os.mkfifo(home / "pipe")
    listing = home / "feeds.opml"
    listing.write_text(
        '<opml version="2.0"><body><outline text="Tips" xmlUrl=".ssh/id_rsa"/>'
        '<outline text="Pipe" xmlUrl="pipe"/></body></opml>'
    )
    result = cli.call("import", str(listing))
    assert result.status == 1
    assert result.err_lines[:2] == [
        f"tuinews: {listing}: skipped 'Tips': hidden local file, not a feed "
        f"'{home / '.ssh' / 'id_rsa'}' "
        "(import --trust-local takes it)",
        f"tuinews: {listing}: skipped 'Pipe': local file that is not a regular file or "
        f"folder '{home / 'pipe'}'",
    ]


def test_a_list_in_the_home_folder_takes_hidden_feed_files(cli: Cli) -> None:
    # Hidden feed files disclose nothing: a backup in ~ of feeds kept in ~/.local (and
    # one reached through a symlink with an ordinary name) came back refused.
    home = cli.root / "home"
    (home / ".local" / "feeds").mkdir(parents=True)
    (home / ".local" / "feeds" / "x.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>X</title></channel></rss>'
    )
    (home / "feeds").symlink_to(home / ".local" / "feeds")
    listing = home / "backup.opml"
    listing.write_text(
        '<opml version="2.0"><body><outline text="X" xmlUrl=".local/feeds/x.xml"/>'
        '<outline text="Y" xmlUrl="feeds/x.xml"/></body></opml>'
    )
    result = cli.call("import", str(listing))
    assert (result.status, result.err) == (0, ""), result.err
    assert result.out == "imported 2 feeds\n"


def test_export_then_import_trusted_brings_back_local_folders_and_articles(cli: Cli) -> None:
    """A tester's find: a backup made by `export` lost the local folders and article
    files on import, refused as not feed files, though `export` had written them."""
    notes = cli.root / "notes"
    notes.mkdir()
    (notes / "n.md").write_text("# My note\n\nhello\n")
    assert cli.call("add", str(notes)).status == 0
    assert cli.call("add", str(notes / "n.md")).status == 0
    backup = cli.root / "backup" / "subs.opml"
    backup.parent.mkdir()
    exported = cli.call("export", "-o", str(backup))
    assert exported.err_lines == [
        "tuinews: note: 2 local subscriptions (folders or articles, not feed files) come "
        "back from this list only with `tuinews import --trust-local`",
        f"wrote 2 feeds to {backup}",
    ]
    before = feeds_in(cli.config)
    cli.config.unlink()
    refused = cli.call("import", str(backup))
    assert refused.status == 1 and not cli.config.exists()
    assert all("(import --trust-local takes it)" in line for line in refused.err_lines[:2])
    trusted = cli.call("import", "--trust-local", str(backup))
    assert (trusted.status, trusted.out) == (0, "imported 2 feeds\n")
    assert feeds_in(cli.config) == before


def test_newsboat_urls_file_takes_file_urls_and_paths(cli: Cli) -> None:
    feed = local_feed(cli.root / "feeds")
    urls = cli.root / "newsboat" / "urls"
    urls.parent.mkdir()
    urls.write_text(
        f'file://{feed} local "~Mine"\n'
        f"{feed}\n"  # the same feed as a path: a duplicate
        "file:///nonexistent/missing.xml\n"
        "https://web.example/rss\n"
    )
    result = cli.call("import", str(urls))
    assert result.out == ("imported 2 feeds (1 repeated entry merged, 1 unusable entry skipped)\n")
    assert result.err_lines == [
        f"tuinews: {urls}: skipped line 3 'file:///nonexistent/missing.xml': "
        "no such file or directory '/nonexistent/missing.xml'",
        f"tuinews: {urls}: subscribing to the local file '{feed}', outside the list's folder",
    ]
    assert feeds_in(cli.config) == [
        (str(feed), "Mine", ("local",)),
        ("https://web.example/rss", None, ()),
    ]


# ---------------------------------------------------------------- 2: one --tag, one tag


def test_one_tag_option_is_one_tag_commas_and_all(cli: Cli) -> None:
    added = cli.call("add", "https://a.example/rss", "--tag", "Folder, with comma", "--tag", "b")
    assert added.status == 0, added.err
    assert feeds_in(cli.config) == [("https://a.example/rss", None, ("Folder, with comma", "b"))]
    exported = cli.root / "out.opml"
    assert cli.call("export", "-o", str(exported)).status == 0
    fresh = cli.root / "fresh.toml"
    assert cli.call("--config", str(fresh), "import", str(exported)).status == 0
    assert feeds_in(fresh) == feeds_in(cli.config)


# ---------------------------------------------------------------- 3: every entry counted


def test_exact_duplicates_in_a_list_are_counted(cli: Cli) -> None:
    listing = cli.root / "list.opml"
    listing.write_text(
        '<opml version="2.0"><body>'
        '<outline text="A" xmlUrl="https://a.example/rss"/>'
        '<outline text="Tech"><outline text="A" xmlUrl="https://a.example/rss"/></outline>'
        '<outline text="B" xmlUrl="https://b.example/rss"/>'
        "</body></opml>"
    )
    result = cli.call("import", str(listing))
    assert result.out == "imported 2 feeds (1 repeated entry merged)\n"
    # Merged, not lost: the repeat's folder is a tag of the feed.
    assert feeds_in(cli.config)[0] == ("https://a.example/rss", "A", ("Tech",))


def test_the_engineering_blogs_list_is_accounted_for(cli: Cli, corpus_opml: Path) -> None:
    listing = corpus_opml / "engineering-blogs__engineering_blogs.opml"
    entries = listing.read_text(encoding="utf-8").count("xmlUrl=")
    result = cli.call("import", str(listing))
    assert result.status == 0, result.err
    assert result.out == f"imported {entries - 2} feeds (2 repeated entries merged)\n"


# ---------------------------------------------------------------- 4: names shown readably


def test_skipped_names_are_shown_as_written_without_escapes(cli: Cli) -> None:
    listing = cli.root / "fa.opml"
    listing.write_text(
        '<opml version="2.0"><body>'
        '<outline text="خوانده\u200cنشده" xmlUrl="vfolder"/>'
        '<outline text="bell&#x7;&#x1b;[31mred" xmlUrl="gopher://x.example/"/>'
        '<outline text="Ok" xmlUrl="https://ok.example/rss"/>'
        "</body></opml>",
        encoding="utf-8",
    )
    result = cli.call("import", str(listing))
    assert result.err_lines == [
        f"tuinews: {listing}: skipped 'خوانده\u200cنشده': relative URL 'vfolder'",
        f"tuinews: {listing}: skipped 'bell red': not an http(s) URL 'gopher://x.example/'",
    ]


# ---------------------------------------------------------------- 5, 6: remove


FEEDS_WITH_COMMENTS = """\
# my feeds

# --- news ---
[[feeds]]
url = "https://a.example/rss"
# a's comment, inside its table
# and a second line

[[feeds]]
url = "https://b.example/rss"
title = "B"
# b is noisy

# --- tech ---

[[feeds]]
url = "https://c.example/rss"
# about d, right above its header
[[feeds]]
url = "https://d.example/rss"
"""


def test_remove_takes_the_comments_inside_the_removed_entry(cli: Cli) -> None:
    cli.config.write_text(FEEDS_WITH_COMMENTS)
    assert cli.call("remove", "https://a.example/rss").status == 0
    assert cli.call("remove", "B").status == 0
    assert cli.call("remove", "https://c.example/rss").status == 0
    # The group headings (above a header, or after a blank line) and the comment that
    # runs into d's header stay.
    assert cli.config.read_text() == (
        "# my feeds\n"
        "\n"
        "# --- news ---\n"
        "# --- tech ---\n"
        "\n"
        "# about d, right above its header\n"
        "[[feeds]]\n"
        'url = "https://d.example/rss"\n'
    )
    assert cli.call("import", str(write_list(cli.root))).status == 0
    assert cli.config.read_text().endswith(
        '[[feeds]]\nurl = "https://d.example/rss"\n\n[[feeds]]\nurl = "https://e.example/rss"\n'
    )


def write_list(folder: Path) -> Path:
    listing = folder / "one.opml"
    listing.write_text('<opml><body><outline xmlUrl="https://e.example/rss"/></body></opml>')
    return listing


def test_remove_takes_the_comment_above_when_every_feed_has_one(cli: Cli) -> None:
    cli.config.write_text(
        "# my feeds\n\n"
        '# A, weekly\n[[feeds]]\nurl = "https://a.example/rss"\n\n'
        '# B, daily\n# (and noisy)\n[[feeds]]\nurl = "https://b.example/rss"\n\n'
        '# C, last\n[[feeds]]\nurl = "https://c.example/rss"\n'
    )
    assert cli.call("remove", "https://b.example/rss").status == 0
    assert cli.call("remove", "https://c.example/rss").status == 0
    # B's comment used to stay, and read as C's; then C's stayed, heading nothing.
    assert cli.config.read_text() == (
        '# my feeds\n\n# A, weekly\n[[feeds]]\nurl = "https://a.example/rss"\n'
    )


def test_remove_of_the_last_entry_takes_its_trailing_comment(cli: Cli) -> None:
    cli.config.write_text(
        '[[feeds]]\nurl = "https://a.example/rss"\n\n'
        '[[feeds]]\nurl = "https://b.example/rss"\n# b was a test\n'
    )
    assert cli.call("remove", "https://b.example/rss").status == 0
    assert cli.config.read_text() == '[[feeds]]\nurl = "https://a.example/rss"\n'


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (  # right after the removed feed's keys: it went with the feed above it
            '[[feeds]]\nurl = "https://a.example/rss"\n\n'
            '[[feeds]]\nurl = "https://b.example/rss"\ntitle = "B"\n# b is noisy\n'
            '# [[feeds]]\n# url = "https://paused.example/rss"   # until the site is back\n\n'
            '[[feeds]]\nurl = "https://c.example/rss"\n',
            '[[feeds]]\nurl = "https://a.example/rss"\n\n'
            '# [[feeds]]\n# url = "https://paused.example/rss"   # until the site is back\n\n'
            '[[feeds]]\nurl = "https://c.example/rss"\n',
        ),
        (  # right above it, where each feed's own comment goes
            '# Tech\n[[feeds]]\nurl = "https://a.example/rss"\n\n'
            '# [[feeds]]\n# url = "https://old.example/rss"\n'
            '[[feeds]]\nurl = "https://b.example/rss"\n\n'
            '# News\n[[feeds]]\nurl = "https://c.example/rss"\n',
            '# Tech\n[[feeds]]\nurl = "https://a.example/rss"\n\n'
            '# [[feeds]]\n# url = "https://old.example/rss"\n\n'
            '# News\n[[feeds]]\nurl = "https://c.example/rss"\n',
        ),
    ],
    ids=["after", "above"],
)
def test_remove_keeps_a_commented_out_feed_beside_the_removed_one(
    cli: Cli, before: str, after: str
) -> None:
    # Testers' finds: a set-aside entry is the user's, never a note on its neighbour.
    cli.config.write_text(before)
    assert cli.call("remove", "https://b.example/rss").status == 0
    assert cli.config.read_text() == after


@pytest.mark.parametrize("name", ["", "  "])
def test_remove_with_an_empty_name_says_so(cli: Cli, name: str) -> None:
    cli.config.write_text(
        '[[feeds]]\nurl = "https://a.example/rss"\n\n[[feeds]]\nurl = "https://b.example/rss"\n'
    )
    before = cli.config.read_text()
    result = cli.call("remove", name)
    assert result.status == 1
    assert result.err_lines == ["tuinews: no feed named: the name is empty (give a URL or a title)"]
    assert cli.config.read_text() == before


# ---------------------------------------------------------------- 7: passwords


def test_feeds_in_a_pipe_masks_the_password_in_every_column(cli: Cli) -> None:
    assert cli.call("add", "https://user:s3cret@a.example/rss").status == 0
    listed = cli.call("feeds")
    assert listed.status == 0
    assert "s3cret" not in listed.out
    assert listed.out.split("\t")[-1] == "https://user:***@a.example/rss\n"


# ---------------------------------------------------------------- 8: line endings


def test_add_to_a_crlf_file_without_a_final_newline_keeps_crlf(cli: Cli) -> None:
    cli.config.write_bytes(b'# mine\r\n[[feeds]]\r\nurl = "https://a.example/rss"')
    assert cli.call("add", "https://b.example/rss").status == 0
    assert cli.config.read_bytes() == (
        b'# mine\r\n[[feeds]]\r\nurl = "https://a.example/rss"\r\n'
        b'\r\n[[feeds]]\r\nurl = "https://b.example/rss"\r\n'
    )


# ---------------------------------------------------------------- 9: blank tags


def test_a_blank_tag_in_the_file_is_no_tag_everywhere(cli: Cli) -> None:
    """`--tag ''` is refused before anything is written; a file that already holds one
    still loads, and the blank tag counts nowhere: not in `feeds`, not in the export."""
    text = '[[feeds]]\nurl = "https://a.example/rss"\ntags = ["", " ", "x"]\n'
    cli.config.write_text(text)
    from tuinews.store import Store

    Store.open(cli.db).close()  # else `feeds` says the store TUINEWS_DB names is not there
    listed = cli.call("feeds")
    assert (listed.status, listed.err) == (0, "")
    assert listed.out.split("\t")[1] == "x"
    exported = cli.call("export").out
    assert 'category="/x"' in exported and '<outline text=""' not in exported
    assert cli.call("add", "https://b.example/rss", "--tag", "").status == 2
    assert cli.config.read_text() == text


def test_a_blank_tag_is_never_written_to_the_file(cli: Cli) -> None:
    """The reader (or any caller) adding a feed with a blank tag writes the tags that
    count, as the file would read them."""
    from tuinews.model import Subscription
    from tuinews.subscriptions import SubscriptionFile

    SubscriptionFile(cli.config).add(Subscription("https://a.example/rss", tags=("", " ", "x")))
    assert cli.config.read_text().endswith('url = "https://a.example/rss"\ntags = ["x"]\n')
