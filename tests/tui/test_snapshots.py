"""Each view rendered at 80x24 and 160x48 and compared with the checked-in text snapshot.

``CODETETHER_UPDATE_SNAPSHOTS=1`` rewrites them (review the diff before committing).
"""

import os
from pathlib import Path

import pytest

from .scenes import SCENES, new_app, render

SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
@pytest.mark.parametrize("scene", list(SCENES))
async def test_view_snapshot(scene, size, config_file, tmp_path):
    app = new_app(config_file, tmp_path)
    SCENES[scene](app)
    text = render(app, *size)
    path = SNAPSHOTS / f"{scene}-{size[0]}x{size[1]}.txt"
    if os.environ.get("CODETETHER_UPDATE_SNAPSHOTS"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no snapshot {path.name}: run with CODETETHER_UPDATE_SNAPSHOTS=1 and review it"
    assert text == path.read_text(encoding="utf-8"), f"{path.name} changed: compare, then update if intended"
