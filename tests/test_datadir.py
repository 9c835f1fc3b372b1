from __future__ import annotations

import pytest

from mopidy_mtscrobble.datadir import prepare_data_dir
from mopidy_mtscrobble.errors import StorageError


def config_with(data_dir):
    return {"core": {"data_dir": str(data_dir)}}


def test_data_dir_is_created_under_mopidys_data_dir(tmp_path):
    path = prepare_data_dir(config_with(tmp_path / "mopidy"))
    assert path == tmp_path / "mopidy" / "mtscrobble"
    assert path.is_dir()


def test_existing_data_dir_is_reused(tmp_path):
    first = prepare_data_dir(config_with(tmp_path))
    (first / "keep").write_text("x")
    assert (prepare_data_dir(config_with(tmp_path)) / "keep").exists()


def test_a_file_in_the_way_gives_a_message_naming_the_path(tmp_path):
    (tmp_path / "mtscrobble").write_text("not a directory")
    with pytest.raises(StorageError) as error:
        prepare_data_dir(config_with(tmp_path))
    message = str(error.value)
    assert str(tmp_path / "mtscrobble") in message
    assert "data_dir" in message
