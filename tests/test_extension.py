from __future__ import annotations

from importlib import metadata

from mopidy import ext

from mopidy_mtscrobble import Extension
from mopidy_mtscrobble.compat import MOPIDY_MAJOR
from mopidy_mtscrobble.frontend import MTScrobbleFrontend


def test_extension_is_registered_under_the_mopidy_ext_entry_point():
    points = metadata.entry_points(group="mopidy.ext")
    ours = [p for p in points if p.name == "mtscrobble"]
    assert len(ours) == 1
    assert ours[0].load() is Extension


def test_extension_names():
    assert Extension.dist_name == "Mopidy-MTScrobble"
    assert Extension.ext_name == "mtscrobble"


def test_default_config_has_the_section_enabled(extension):
    config = extension.get_default_config()
    assert "[mtscrobble]" in config
    assert "enabled = true" in config


def test_setup_registers_the_frontend(extension):
    registry = ext.Registry()
    extension.setup(registry)
    assert MTScrobbleFrontend in registry["frontend"]


def test_get_command_gives_the_command_of_the_running_mopidy(extension):
    command = extension.get_command()
    if MOPIDY_MAJOR >= 4:
        assert "status" in command  # a cyclopts App
    else:
        assert "status" in command._children  # an argparse Command tree
