"""Regression guards for what a key repaints: the terminal gets a few rows, not the screen.

Counted with a wrapper around `Widget.refresh` (no timings): a cursor move repaints two
rows of the list; showing an article is no layout; moving between panes repaints rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widget import Widget

from test_ui_support import (
    make_ctx,
    quick_rest,  # noqa: F401  (autouse fixture)
    settle,
)
from tuinews.config import UISettings
from tuinews.ui.app import create_app


class Refreshes:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], bool]] = []

    def of(self, name: str) -> list[tuple[Any, ...]]:
        return [regions for widget, regions, _ in self.calls if widget == name]

    @property
    def layouts(self) -> list[str]:
        return [widget for widget, _, layout in self.calls if layout]

    @property
    def full_repaints(self) -> list[str]:
        return [widget for widget, regions, _ in self.calls if not regions]


@pytest.fixture
def refreshes(monkeypatch: pytest.MonkeyPatch) -> Refreshes:
    seen = Refreshes()
    real = Widget.refresh

    def refresh(self: Widget, *regions: Any, **kwargs: Any) -> Any:
        seen.calls.append((type(self).__name__, regions, bool(kwargs.get("layout"))))
        return real(self, *regions, **kwargs)

    monkeypatch.setattr(Widget, "refresh", refresh)
    return seen


async def test_a_cursor_move_repaints_two_rows_and_the_reader(
    tmp_path: Path, refreshes: Refreshes
) -> None:
    app = create_app(make_ctx(tmp_path, ui=UISettings(mark_read="manual")))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        refreshes.calls.clear()
        await pilot.press("j")
        await settle(pilot)
        rows = refreshes.of("HeadlineList")
        assert len(rows) == 2 and all(region.height == 1 for (region,) in rows)
        assert "HeadlineList" not in refreshes.full_repaints
        assert refreshes.layouts == []  # the new article did not lay out the screen
        assert "MainScreen" not in refreshes.full_repaints


async def test_moving_between_panes_repaints_cursor_rows_only(
    tmp_path: Path, refreshes: Refreshes
) -> None:
    app = create_app(make_ctx(tmp_path, ui=UISettings(mark_read="manual")))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        refreshes.calls.clear()
        await pilot.press("enter", "escape", "h", "l")
        await settle(pilot)
        assert refreshes.layouts == []
        assert "MainScreen" not in refreshes.full_repaints
        assert "HeadlineList" not in refreshes.full_repaints
        assert "FeedSidebar" not in refreshes.full_repaints
