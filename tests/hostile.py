"""Generators of hostile inputs and the scanner that checks what reaches a terminal.

Everything is made here, in memory: nothing is downloaded. Each payload carries a
printable marker (`PWN…`) so a test can find where it ended up on screen.

    feed = hostile_rss()                       # every field carries every payload
    problems = forbidden_sequences(raw_bytes)  # [] when the terminal output is clean
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from xml.sax.saxutils import escape

ESC = "\x1b"
BEL = "\x07"
ST = ESC + "\\"

# Each one would do something to a real terminal if it reached it unfiltered.
TERMINAL_PAYLOADS: dict[str, str] = {
    "osc52": f"{ESC}]52;c;cHduZWQ={BEL}",  # write "pwned" to the clipboard
    "osc52_st": f"{ESC}]52;p;cHduZWQ={ST}",
    "osc0": f"{ESC}]0;PWNED WINDOW TITLE{BEL}",
    "osc2": f"{ESC}]2;PWNED WINDOW TITLE{ST}",
    "osc8": f"{ESC}]8;;https://evil.example/{ST}https://bank.example/{ESC}]8;;{ST}",
    "csi_clear": f"{ESC}[2J{ESC}[3J",
    "csi_move": f"{ESC}[1337;1337H{ESC}[7777A",
    "csi_report": f"{ESC}[6n{ESC}[21t",  # ask the terminal to type an answer back
    "c1_csi": "\x9b2J\x9b1337;1337H",
    "c1_osc": "\x9d0;PWNED C1 TITLE\x9c",
    "del": "DEL\x7fDEL",
    "bidi": "\u202etxt.exe\u202c \u2066isolate\u2069 \u202aemb\u202b",
}
# The same escapes as XML/HTML numeric character references (decoded late, still dropped).
REFERENCE_PAYLOADS: dict[str, str] = {
    "ref_osc52": "&#27;]52;c;cHduZWQ=&#7;",
    "ref_hex_osc0": "&#x1b;]0;PWNED REF TITLE&#x07;",
    "ref_c1": "&#155;2J&#x9b;7777A",
    "ref_del": "&#127;",
    "ref_bidi": "&#x202e;gpj.exe",
}
MARKUP_PAYLOADS = (
    "[bold]BOLD-MARKUP[/bold]",
    "[link=https://evil.example/]LINK-MARKUP[/link]",
    "[@click=app.quit]CLICK-MARKUP[/]",
    "[red on red]HIDDEN-MARKUP",
    ":skull: $(touch /tmp/pwn) `id`",
)
SHELL_LINK = "https://shell.example/a?q=$(touch {marker})&b=`touch {marker}`;touch {marker}'\""


def all_payloads(marker: str = "PWN") -> str:
    """Every terminal payload in one string, each after `marker` and a name."""
    return " ".join(f"{marker}-{name}:{text}" for name, text in TERMINAL_PAYLOADS.items())


def reference_payloads(marker: str = "PWN") -> str:
    return " ".join(f"{marker}-{name}:{text}" for name, text in REFERENCE_PAYLOADS.items())


def markup_payloads() -> str:
    return " ".join(MARKUP_PAYLOADS)


def x(text: str) -> str:
    """Text as XML character data: controls that XML 1.0 forbids become references.

    lxml refuses raw C0 bytes; feeds in the wild send them anyway, and the recovering
    parser keeps them, so both forms are produced by the generators below.
    """
    out = []
    for char in escape(text):
        code = ord(char)
        if (code < 0x20 and char not in "\t\n\r") or 0x7F <= code <= 0x9F:
            out.append(f"&#{code};")
        else:
            out.append(char)
    return "".join(out)


def hostile_rss(marker: str = "PWN", *, raw_controls: bool = False, items: int = 3) -> bytes:
    """An RSS 2.0 feed whose every text field holds every payload (escaped and as refs)."""
    payload = all_payloads(marker)
    enc = (lambda text: escape(text)) if raw_controls else x
    text = enc(payload) + " " + reference_payloads(marker) + " " + escape(markup_payloads())
    body = escape(
        f"<p>{enc(payload)} {markup_payloads()}</p>"
        f"<p><a href='https://ok.example/{marker}'>fine {enc(payload)}</a></p>"
        "<p><a href='javascript:alert(1)'>js</a> <a href='data:text/html,x'>data</a>"
        " <a href='file:///etc/passwd'>file</a></p>"
    )
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>',
        f"<title>{marker}-FEED {text}</title><link>https://hostile.example/</link>",
        f"<description>{text}</description>",
    ]
    for number in range(items):
        parts.append(
            f"<item><title>{marker}-TITLE{number} {text}</title>"
            f"<link>https://hostile.example/{number}?{enc(TERMINAL_PAYLOADS['osc8'])}</link>"
            f"<guid>{marker}-{number}</guid>"
            f"<dc:creator>{marker}-AUTHOR {text}</dc:creator>"
            f"<category>{marker}-CAT {text}</category>"
            f"<pubDate>Mon, 0{number + 1} Jan 2024 10:00:00 +0000</pubDate>"
            f"<description>{body}</description>"
            f'<enclosure url="https://hostile.example/{marker}.mp3?{enc(payload)}"'
            f' type="audio/mpeg{enc(TERMINAL_PAYLOADS["osc0"])}" length="1"/>'
            "</item>"
        )
    parts.append("</channel></rss>")
    return "\n".join(parts).encode("utf-8")


def hostile_atom(marker: str = "PWN") -> bytes:
    text = x(all_payloads(marker)) + " " + reference_payloads(marker)
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{marker}-FEED {text}</title><id>urn:x</id>"
        "<updated>2024-01-01T00:00:00Z</updated>"
        f"<entry><title type='html'>{marker}-TITLE {escape(text)}</title><id>urn:1</id>"
        f"<author><name>{marker}-AUTHOR {text}</name></author>"
        "<updated>2024-01-01T00:00:00Z</updated>"
        f"<link rel='alternate' href='https://hostile.example/1'/>"
        f"<link rel='enclosure' href='https://hostile.example/{marker}.ogg' title='{text}'/>"
        f"<content type='html'>{escape('<p>' + x(all_payloads(marker)) + '</p>')}</content>"
        "</entry></feed>"
    ).encode()


def hostile_json_feed(marker: str = "PWN") -> bytes:
    payload = all_payloads(marker) + " " + markup_payloads()
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": f"{marker}-FEED {payload}",
            "authors": [{"name": f"{marker}-AUTHOR {payload}"}],
            "items": [
                {
                    "id": "1",
                    "title": f"{marker}-TITLE {payload}",
                    "url": "https://hostile.example/1",
                    "content_html": f"<p>{payload}</p>",
                    "authors": [{"name": f"{marker}-AUTHOR {payload}"}],
                    "attachments": [{"url": "https://hostile.example/a.mp3", "mime_type": payload}],
                }
            ],
        }
    ).encode()


def hostile_opml(entries: Iterable[tuple[str, str | None]], title: str = "list") -> bytes:
    """An OPML file of (title, xmlUrl or None) outlines; titles are escaped, not cleaned."""
    head = f"<head><title>{x(title)}</title></head>"
    lines = [f'<?xml version="1.0"?><opml version="2.0">{head}<body>']
    for text, url in entries:
        attr = f' xmlUrl="{escape(url, {chr(34): "&quot;"})}"' if url is not None else ""
        lines.append(f'<outline type="rss" text="{x(text)}"{attr}/>')
    lines.append("</body></opml>")
    return "\n".join(lines).encode()


# --- XML attacks -----------------------------------------------------------------------


def xxe_feed(secret_path: str) -> bytes:
    """External entities in every place a parser might expand them."""
    return f"""<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY xxe SYSTEM "file://{secret_path}">
  <!ENTITY xxe2 SYSTEM "{secret_path}">
  <!ENTITY % pe SYSTEM "file://{secret_path}">
]>
<rss version="2.0"><channel><title>XXE &xxe;</title><link>https://x.example/</link>
<item><title>item &xxe;&xxe2;</title><guid>1</guid><description>body &xxe; &xxe2;</description>
</item></channel></rss>""".encode()


def billion_laughs(levels: int = 10, fan: int = 10) -> bytes:
    """The classic exponential entity expansion: fan**levels copies of "lol"."""
    ents = ['<!ENTITY lol0 "lol">']
    for level in range(1, levels):
        ents.append(f'<!ENTITY lol{level} "{f"&lol{level - 1};" * fan}">')
    top = f"&lol{levels - 1};"
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n' + "\n".join(ents) + "\n]>\n"
        f'<rss version="2.0"><channel><title>{top}</title><item><title>{top}</title>'
        f"<guid>1</guid><description>{top}</description></item></channel></rss>"
    ).encode()


def quadratic_blowup(size: int = 100_000, uses: int = 10_000) -> bytes:
    """One large entity used many times (no nesting): the other expansion attack."""
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "{"a" * size}">]>'
        f'<rss version="2.0"><channel><title>t</title><item><guid>1</guid>'
        f"<description>{'&a;' * uses}</description></item></channel></rss>"
    ).encode()


def many_items_rss(count: int) -> bytes:
    items = "".join(
        f"<item><title>n{n}</title><guid>g{n}</guid><link>https://m.example/{n}</link></item>"
        for n in range(count)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Many</title>{items}'
        "</channel></rss>"
    ).encode()


def deep_html(depth: int) -> str:
    return "<div>" * depth + "DEEP-TEXT" + "</div>" * depth


def rss_with(items_xml: str, title: str = "Odd") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}'
        f"</title><link>https://odd.example/</link>{items_xml}</channel></rss>"
    ).encode()


# --- Terminal output scanner -------------------------------------------------------------

_OSC = re.compile(r"\x1b\]([^\x07\x1b]{0,80})")
_CSI = re.compile(r"\x1b\[([0-?]*)([ -/]*)([@-~])")
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Parameters only the payloads use: a CSI carrying one of them came from a feed.
_PAYLOAD_CSI_PARAMS = ("1337", "7777")


@dataclass(frozen=True)
class Finding:
    what: str
    offset: int
    context: str

    def __str__(self) -> str:
        return f"{self.what} at byte {self.offset}: {self.context!r}"


# Textual sets the mouse pointer shape with OSC 22 ("22;default"); nothing else.
APP_OSC = ("22;",)


def forbidden_sequences(raw: bytes, *, allowed_osc: Iterable[str] = APP_OSC) -> list[Finding]:
    """What in raw terminal output a feed may have smuggled in; [] when clean.

    Forbidden: any OSC (ESC ]) except those whose body starts with one of `allowed_osc`,
    any C1 control (U+0080–U+009F, 0x9b among them) whether as a character or as a stray
    byte (a 0x9b inside a valid UTF-8 sequence is part of a letter, not CSI), DEL,
    the bidi controls, and CSI sequences carrying the payloads' own parameters or the
    queries that make a terminal answer (device status report, window reports).
    """
    text = raw.decode("utf-8", errors="surrogateescape")
    allowed = tuple(allowed_osc)
    found: list[Finding] = []

    def add(what: str, offset: int) -> None:
        found.append(Finding(what, offset, text[max(0, offset - 20) : offset + 30]))

    for match in _OSC.finditer(text):
        if not (allowed and match.group(1).startswith(allowed)):
            add("OSC " + match.group(1)[:12], match.start())
    for match in _CSI.finditer(text):
        params, final = match.group(1), match.group(3)
        if any(p in params for p in _PAYLOAD_CSI_PARAMS) or (final == "n" and params == "6"):
            add("payload CSI", match.start())
        if final == "t" and params.startswith("21"):
            add("window report CSI", match.start())
    for index, char in enumerate(text):
        code = ord(char)
        if 0x80 <= code <= 0x9F:
            add(f"C1 control U+{code:04X}", index)
        elif 0xDC80 <= code <= 0xDCFF:
            add(f"stray byte 0x{code - 0xDC00:02x}", index)
        elif code == 0x7F:
            add("DEL", index)
        elif char in BIDI_CONTROLS:
            add(f"bidi control U+{code:04X}", index)
    return found


def assert_clean_terminal_output(raw: bytes, *, allowed_osc: Iterable[str] = APP_OSC) -> None:
    problems = forbidden_sequences(raw, allowed_osc=allowed_osc)
    assert not problems, "\n".join(str(p) for p in problems[:20])


def visible_text(raw: bytes) -> str:
    """Raw terminal output with the app's own CSI/OSC removed: what a person reads."""
    text = raw.decode("utf-8", errors="replace")
    text = _CSI.sub("", text)
    return re.sub(r"\x1b\][^\x07\x1b]*(\x07|\x1b\\)", "", text)


def no_controls(text: str) -> list[str]:
    """Characters in text (already decoded, styles not included) that must never be shown."""
    return [
        f"U+{ord(c):04X}"
        for c in text
        if (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F or c in BIDI_CONTROLS
    ]


# Astral code points a terminal draws as it pleases: noncharacters (U+1FFFE, U+10FFFF)
# and unassigned ones (U+E0080, U+1FFFD). Rich counts a cell for most (none for U+E0080).
ODD_ASTRAL = "\U0001fffe\U000e0080\U0010ffff\U0001fffd"


def undrawable(text: str) -> list[str]:
    """The astral code points of `text` no terminal draws alike (noncharacters, and those
    unassigned in this Python's Unicode data that Rich does not count as wide)."""
    from rich.cells import get_character_cell_size

    return [
        f"U+{ord(c):04X}"
        for c in text
        if ord(c) > 0xFFFF
        and ((ord(c) & 0xFFFE) == 0xFFFE or unicodedata.category(c) == "Cn")
        and get_character_cell_size(c) != 2
    ]


def terminal_columns(text: str) -> int:
    """The columns `text` takes in tmux on this machine (glibc 2.36, Unicode 14, as old
    as Python 3.11's data): as Rich counts them, except that a code point its data does
    not know takes none (checked with `tmux capture-pane`). Where this differs from
    Rich's count, whatever follows on the row (the pane border) is drawn that far off."""
    from rich.cells import cell_len

    unknown = [c for c in text if ord(c) > 0xFFFF and unicodedata.category(c) == "Cn"]
    return cell_len(text) - sum(cell_len(c) for c in unknown)
