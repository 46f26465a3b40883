from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def specs_dir() -> Path:
    return SPECS
