"""The user's search words turned into a safe FTS5 query.

Nothing the user types reaches FTS5 as syntax: every word or "quoted phrase" becomes an
FTS5 string (quotes doubled), joined by spaces, which FTS5 reads as AND. Three forms
mean what search boxes usually mean: a word ending in `*` is a prefix, `-word` (or a
bare `NOT word`) leaves out articles with that word, and a bare `OR` between words
accepts either side (AND binds tighter, so `a b OR c` is `(a b) OR c`). The operators
are written by this module, never copied from the input; other FTS5 syntax typed by the
user (AND, NEAR, parentheses, column filters) is searched as plain words.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

# A "quoted phrase" (closing quote optional; a "-" before it leaves it out) or a run of
# non-space characters.
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def _has_word(text: str) -> bool:
    # A term without letters or digits tokenizes to nothing; FTS5 would then match
    # nothing at all, so such terms are dropped instead.
    return any(ch.isalnum() for ch in text)


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


# Scripts written without spaces between words: Thai, Lao, Myanmar, Khmer, kana, Han,
# Hangul. The index's tokenizer reads a run of them as one word, so a word inside the
# run cannot be found through the index: such terms are looked for in the text itself.
# The patterns are compiled at the first search, not on import: 2.4 ms that every start
# of the reader and every command paid (this module comes with the store).
_UNSPACED_RANGES = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003ffff"
)
# Greek letters, basic and extended: their accents are not among the diacritics the
# index's tokenizer removes (it removes Latin ones), so `search_form` drops them.
_GREEK_RANGES = "\u0370-\u03ff\u1f00-\u1fff"


@functools.cache
def _unspaced() -> re.Pattern[str]:
    """A run of unspaced-script characters (`search` finds the first, `findall` all)."""
    return re.compile(f"[{_UNSPACED_RANGES}]+")


@functools.cache
def _needs_form() -> re.Pattern[str]:
    return re.compile(f"[{_UNSPACED_RANGES}{_GREEK_RANGES}]")


@functools.cache
def _script_boundary() -> re.Pattern[str]:
    # Between a character of an unspaced script and a letter or digit of another.
    unspaced, other = f"[{_UNSPACED_RANGES}]", f"[^\\W{_UNSPACED_RANGES}]"
    return re.compile(f"(?<={unspaced})(?={other})|(?<={other})(?={unspaced})")


@functools.cache
def _greek_unaccented() -> dict[int, str]:
    import unicodedata

    table: dict[int, str] = {}
    for low, high in ((0x370, 0x400), (0x1F00, 0x2000)):
        for code in range(low, high):
            parts = unicodedata.normalize("NFD", chr(code))
            base = "".join(part for part in parts if not unicodedata.combining(part))
            if base and base != chr(code):
                table[code] = base
    return table


def search_form(text: str) -> str:
    """`text` as the index is given it, and as search words are looked up: a space where
    an unspaced script meets letters or digits of another (the tokenizer read
    `苹果发布iPhone手机` as one word, so `iPhone` found nothing), Greek accents dropped
    (`καλημέρα` is found by `καλημερα`, as `café` is by `cafe`)."""
    if text.isascii() or _needs_form().search(text) is None:
        return text
    return _formed(text)


def _formed(text: str) -> str:
    """`search_form` of a text known to need it."""
    return _script_boundary().sub(" ", text).translate(_greek_unaccented())


def _bigrams(run: str) -> list[str]:
    """Each pair of neighbouring characters of an unspaced run, in order."""
    return [run[start : start + 2] for start in range(len(run) - 1)]


def _index_words(text: str) -> list[str]:
    """The pairs of every unspaced run of two characters or more, then its last
    character alone: each character of a run then begins a word of the index (a pair,
    or itself), which a search for that one character finds as a prefix."""
    words: list[str] = []
    for run in _unspaced().findall(text):
        if len(run) > 1:
            words += _bigrams(run)
            words.append(run[-1])
    return words


def search_pairs(title: object, summary: object, content: object, content_type: object) -> str:
    """What the index's `pairs` column is given (schema v12): each pair of neighbouring
    characters of the unspaced runs of the title and of the search text (`出建国纪念币`
    gives `出建 建国 国纪 纪念 念币 币`, see `_index_words`). A word inside a run is
    found through them, as the consecutive pairs of its characters (`纪念币`: "纪念
    念币"), then checked in the text itself, which holds no pairs: a scan of every
    article's text took 1.5 s at 100,000 articles. SQLite calls it as
    `tuinews_search_pairs` on a stored row, as `row_search_text`; it never raises.

    The row's text is the one `row_search_text` just worked out for it, not again."""
    try:
        last = _last_row
        if last is None or last[:3] != (summary, content, content_type):
            row_search_text(summary, content, content_type)
            last = _last_row
        words: list[str] = []
        if isinstance(title, str) and not title.isascii() and _unspaced().search(title):
            words += _index_words(search_form(title))
        if last is not None and last[4]:
            words += _index_words(last[3])
        return " ".join(words)
    except Exception:
        return ""


def search_title(title: object) -> str:
    """The title the index is given, when its `search_form` is not the article's own
    title ('' when it is): SQLite calls it as `tuinews_search_title` and keeps what it
    returns in `search_text` (never NULL: see the trigger `search_text_formed`)."""
    if not isinstance(title, str):
        return ""
    try:
        formed = search_form(title)
    except Exception:  # never fail the statement indexing thousands of articles
        return ""
    return formed if formed != title else ""


def _pairs_match(word: str) -> str | None:
    """What the index must hold of an unspaced-script word (see `search_pairs`): each
    of its unspaced runs as the phrase of its pairs, a single character as a prefix;
    None when it has none. Its other letters are checked in the text only: `16发布`
    is in `iPhone16发布会`, whose word `iphone16` the index holds whole."""
    terms = [
        _quote(" ".join(_bigrams(run))) if len(run) > 1 else _quote(run) + "*"
        for run in _unspaced().findall(search_form(word))
    ]
    return " ".join(dict.fromkeys(terms)) or None


@dataclass(frozen=True, slots=True)
class SearchTerms:
    """A search split by how it is answered."""

    match: str | None  # FTS5 expression of the words the index can find
    contains: tuple[str, ...] = ()  # unspaced-script words the text must contain
    lacks: tuple[str, ...] = ()  # unspaced-script words it must not contain
    # Words to leave out when no word is wanted from the index (FTS5 has no bare NOT).
    excluded_match: str | None = None


def search_terms(words: str) -> SearchTerms | None:
    """How to answer `words`, or None when no term is left to search (words to leave
    out alone are not a search). Unspaced-script words are required whatever `OR` says."""
    alternatives: list[list[str]] = [[]]
    excluded: list[str] = []
    contains: list[str] = []
    lacks: list[str] = []
    negated = False  # the term follows a bare NOT
    for match in _TOKEN.finditer(words):
        minus, phrase, word = match.group(1, 2, 3)
        if word == "NOT":
            # "python NOT rust" searched the word "not" (in most English articles): the
            # opposite of what was meant.
            negated = True
            continue
        minus, negated = minus or negated, False
        if phrase is not None:
            if _has_word(phrase):
                text = " ".join(phrase.split())
                if _unspaced().search(text):
                    (lacks if minus else contains).append(text)
                else:
                    (excluded if minus else alternatives[-1]).append(_quote(search_form(text)))
            continue
        if word == "OR":
            alternatives.append([])
            continue
        leave_out = word.startswith("-") and len(word) > 1
        if leave_out:
            word = word[1:]
        leave_out = leave_out or bool(minus)
        prefix = word.endswith("*")
        word = word.rstrip("*")
        if not _has_word(word):
            continue
        if _unspaced().search(word):
            (lacks if leave_out else contains).append(word)
            continue
        term = _quote(search_form(word)) + ("*" if prefix else "")
        (excluded if leave_out else alternatives[-1]).append(term)
    # A term said twice asks nothing more, and each costs a pass over its index entries
    # (5,000 pasted copies of a word took 7 s).
    wanted = list(dict.fromkeys(" ".join(dict.fromkeys(terms)) for terms in alternatives if terms))
    excluded = list(dict.fromkeys(excluded))
    contains, lacks = list(dict.fromkeys(contains)), list(dict.fromkeys(lacks))
    if not wanted and not contains:
        return None
    # What the index holds of the words looked for in the text: found through it, the
    # text of only the articles it gives is read.
    required = [pairs for pairs in map(_pairs_match, contains) if pairs is not None]
    if not wanted and not required:
        left_out = " OR ".join(excluded) or None
        return SearchTerms(None, tuple(contains), tuple(lacks), left_out)
    query = " OR ".join(wanted)
    if required:
        query = " AND ".join(([f"({query})"] if wanted else []) + required)
    if excluded:
        query = f"({query})" + "".join(f" NOT {term}" for term in excluded)
    return SearchTerms(query, tuple(contains), tuple(lacks))


# What the index reads of one body: search needs the words, not every word of a 2 MB
# page, and tokenizing is most of the cost of saving an article.
INDEX_SOURCE_LIMIT = 64_000
INDEX_TEXT_LIMIT = 48_000


# sanitize.index_text, imported on first use (store start-up does not need sanitize):
# an import statement in indexed_body itself costs more than a short body's text.
_index_text: Callable[[str], str] | None = None


def indexed_body(summary: str, content: str, content_type: str) -> str:
    """The text searched besides the title: the body's plain text (bounded), preceded
    by the summary only when the summary is not simply the body's first words."""
    global _index_text
    source = content[:INDEX_SOURCE_LIMIT]
    if content_type == "html":
        if _index_text is None:
            from tuinews.sources.sanitize import index_text

            _index_text = index_text
        body = _index_text(source)
    else:
        body = source
    body = body[:INDEX_TEXT_LIMIT]
    if not summary or _starts_with_summary(body, summary):
        return body
    return f"{summary}\n{body}" if body else summary


# The last row `row_search_text` worked out: (its summary, content and content type as
# SQLite gave them, the text, whether the text holds an unspaced script). SQLite asks
# `search_pairs` of the same row right after: its text is not worked out twice. Another
# thread's row in between only costs the work again: the fields are compared, not trusted.
_last_row: tuple[object, object, object, str, bool] | None = None


def row_search_text(summary: object, content: object, content_type: object) -> str:
    """`indexed_body` of a stored row, as `schema.index_pending` has SQLite call it (one
    statement indexes thousands of articles): for any value a row may hold (bytes written
    by another program), and never raising, since an exception fails the whole statement,
    at every search, and no article after that one would ever be indexed."""
    global _last_row
    raw = (summary, content, content_type)
    summary, content = _as_text(summary), _as_text(content)
    try:
        text = indexed_body(summary, content, _as_text(content_type))
    except Exception:  # a sanitizer bug on one article: its raw text is searched
        _last_row = (*raw, content[:INDEX_TEXT_LIMIT], False)
        return content[:INDEX_TEXT_LIMIT]
    unspaced = False
    if not text.isascii():
        first = _needs_form().search(text)
        if first is not None:  # what search_form looks for first
            unspaced = _unspaced().search(text, first.start()) is not None
            text = _formed(text)
    _last_row = (*raw, text, unspaced)
    return text


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def _without_last_word(text: str) -> str:
    """`text` without its last word, right-stripped: what re.sub(r"\\S+\\s*$", "", text)
    .rstrip() gives (str.rsplit and the regex agree on whitespace), without the regex's
    backtracking from every character (80 us on a 500-character summary)."""
    parts = text.rsplit(None, 1)
    return parts[0] if len(parts) == 2 else ""


def _starts_with_summary(body: str, summary: str) -> bool:
    # A summary is the start of its source's plain text, cut at a word with "…"; compared
    # word by word, since text bodies keep the whitespace their summary collapses.
    head = _without_last_word(summary[:-1]) if summary.endswith("…") else summary
    if body.startswith(head) and body[len(head) : len(head) + 1] in ("", " ", "\n"):
        return True  # the usual case, without splitting both texts into words
    words = summary.removesuffix("…").split()
    if summary.endswith("…") and words:
        words.pop()  # may have been cut mid-word
    if words and not body.lstrip().startswith(words[0]):
        return False  # the usual answer for a summary of its own, without splitting the body
    return body.split(maxsplit=len(words))[: len(words)] == words
