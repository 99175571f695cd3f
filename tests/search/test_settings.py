from pathlib import Path

import pytest

from core.errors import ConfigError
from core.settings import SETTINGS, load_settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_defaults_run_embedded():
    settings = load_settings({})
    assert settings.event_log == "sqlite:///data/events.sqlite"
    assert settings.search == "sqlite:///data/index.sqlite"
    assert settings.publish_dir == Path("data/published")
    assert settings.min_cell_count == 5


def test_environment_and_overrides():
    settings = load_settings({"MITTARI_DATA_DIR": "/srv/m", "MITTARI_MAX_PAGE_SIZE": "50"}, namespace="espoo")
    assert settings.search == "sqlite:////srv/m/index.sqlite"
    assert settings.max_page_size == 50
    assert settings.namespace == "espoo"
    moved = settings.with_overrides(data_dir=Path("/tmp/x"))
    assert moved.event_log == "sqlite:////tmp/x/events.sqlite"


@pytest.mark.parametrize(
    ("env", "value"),
    [
        ("MITTARI_MIN_CELL_COUNT", "3"),
        ("MITTARI_BATCH_SIZE", "zero"),
        ("MITTARI_MAX_PAGE_SIZE", "-1"),
        ("MITTARI_INGEST_CHECKERS", "-1"),
        ("MITTARI_INGEST_CHECKERS", "33"),
        ("MITTARI_INGEST_CHECKERS", "99999999999999999999"),
        ("MITTARI_REMOTE_BATCH_SIZE", "0"),
        ("MITTARI_REMOTE_BATCH_SIZE", "50001"),
        ("MITTARI_REMOTE_BATCH_SIZE", "99999999999999999999"),
    ],
)
def test_bad_values_name_the_variable(env, value):
    with pytest.raises(ConfigError, match=env):
        load_settings({env: value})


def test_every_setting_is_in_the_readme():
    text = README.read_text()
    missing = [s.env for s in SETTINGS if f"`{s.env}`" not in text]
    assert not missing, f"add to the README's configuration table: {missing}"


def test_the_largest_number_of_ingest_checkers_is_taken() -> None:
    assert load_settings({"MITTARI_INGEST_CHECKERS": "32"}).ingest_checkers == 32


def test_a_remote_index_takes_larger_batches_by_default() -> None:
    settings = load_settings({})
    assert (settings.batch_size, settings.remote_batch_size) == (5000, 20000)
    assert load_settings({"MITTARI_REMOTE_BATCH_SIZE": "50000"}).remote_batch_size == 50000
