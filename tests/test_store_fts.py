"""What the search index reads of an article: the summary only when it adds words."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tuinews.store.fts import indexed_body


def _summary_adds_words(body: str, summary: str) -> bool:
    # The definition: the summary's words (its last one dropped when cut with "…")
    # are not the body's first words.
    words = summary.removesuffix("…").split()
    if summary.endswith("…") and words:
        words.pop()
    return body.split(maxsplit=len(words))[: len(words)] != words


def test_a_summary_that_starts_the_body_is_not_indexed_twice() -> None:
    body = "Volcano erupts near the town.  Lava  flows."
    assert indexed_body("Volcano erupts near the town.", body, "text") == body
    assert indexed_body("Volcano erupts near the to…", body, "text") == body
    assert indexed_body("Volcano\nerupts near", body, "text") == body
    assert indexed_body("Volcano erupts near the tower", body, "text") == (
        f"Volcano erupts near the tower\n{body}"
    )
    assert indexed_body("Glacier news", body, "text") == f"Glacier news\n{body}"


_PIECES = st.sampled_from(["a", "b", "ab", " ", "\n", "\t", "\u00a0", "…"])


@given(st.lists(_PIECES, max_size=8), st.data())
def test_the_summary_is_dropped_exactly_when_the_body_starts_with_its_words(
    body_pieces: list[str], data: st.DataObject
) -> None:
    body = "".join(body_pieces)
    if data.draw(st.booleans()):
        summary = body[: data.draw(st.integers(0, len(body)))]
    else:
        summary = "".join(data.draw(st.lists(_PIECES, max_size=6)))
    if data.draw(st.booleans()):
        summary += "…"
    expected = body
    if summary and _summary_adds_words(body, summary):
        expected = f"{summary}\n{body}" if body else summary
    assert indexed_body(summary, body, "text") == expected
