import pytest

from codetether.config import load_config
from codetether.config.schema import CognitionSection
from codetether.runtime import Runtime


class Clock:
    """Wall time the test moves by hand (budgets, back-off and idle limits are minutes long)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def configured(llm, config_file, tmp_path):
    """The fake provider, with no retries: one model request per thought attempt."""
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(
        f'[providers.fake]\nkind = "openai"\nbase_url = "{llm.url}/v1"\nmax_retries = 0\nmodels = ["fake-large"]\n'
    )
    workspace = tmp_path / "ws"
    workspace.mkdir()
    return workspace


@pytest.fixture
async def runtime(configured):
    async with Runtime(load_config(cwd=configured)) as rt:
        yield rt


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def make_engine(runtime, configured, clock, tmp_path):
    from codetether.cognition.engine import CognitionEngine
    from codetether.cognition.thinker import RuntimeThinker

    def make(**settings):
        settings.setdefault("loop_interval_ms", 1000)
        section = CognitionSection(model="fake/fake-large", **settings)
        thinker = RuntimeThinker(lambda: runtime, str(configured), section.model)
        return CognitionEngine(section, thinker, clock=clock, snapshot_path=tmp_path / "snapshots.jsonl")

    return make
