"""Watch settings from defaults, the [watch] table of a config file, the environment and flags."""

from __future__ import annotations

import pytest

from storyline.config import Config
from storyline.ingest.watch import SettingsError, WatchSettings

CONFIG = """
[storyline]
threshold = 0.3

[watch]
interval = "30m"
per_host = 4
allow_private = true
user_agent = "newsroom-bot/1.0 (+mailto:desk@example.org)"
"""


def test_one_file_configures_the_engine_and_the_watcher(tmp_path):
    path = tmp_path / "storyline.toml"
    path.write_text(CONFIG)
    assert Config.load(path, env={}).threshold == 0.3
    s = WatchSettings.load(path, env={})
    assert (s.interval, s.per_host, s.allow_private, s.user_agent) == \
        (1800.0, 4, True, "newsroom-bot/1.0 (+mailto:desk@example.org)")
    assert s.limits().per_host == 4 and s.limits().user_agent.startswith("newsroom-bot")

    top_level = tmp_path / "flat.toml"  # engine keys at the top level, next to a [watch] table
    top_level.write_text('threshold = 0.25\n[watch]\ntimeout = 12\n')
    assert Config.load(top_level, env={}).threshold == 0.25
    assert WatchSettings.load(top_level, env={}).timeout == 12.0


def test_environment_overrides_the_file(tmp_path):
    path = tmp_path / "storyline.toml"
    path.write_text(CONFIG)
    s = WatchSettings.load(path, env={"STORYLINE_WATCH_PER_HOST": "1", "STORYLINE_ALLOW_PRIVATE": "no",
                                      "STORYLINE_WATCH_MAX_BYTES": "2_000_000", "STORYLINE_THRESHOLD": "0.5"})
    assert (s.per_host, s.allow_private, s.max_bytes, s.interval) == (1, False, 2_000_000, 1800.0)
    assert WatchSettings.load(env={}) == WatchSettings()


@pytest.mark.parametrize("values, message", [
    ({"intervall": "15m"}, "unknown watch setting: intervall"),
    ({"interval": "soon"}, "not a duration: 'soon'"),
    ({"allow_private": "maybe"}, "not a yes/no value: 'maybe'"),
    ({"per_host": 0}, "per_host must be 1 or more"),
    ({"timeout": 0}, "^timeout must be more than 0"),
    ({"interval": "0s"}, "^interval must be more than 0"),
])
def test_bad_settings_say_what_is_wrong(values, message):
    with pytest.raises(SettingsError, match=message):
        WatchSettings().with_overrides(values)


def test_the_cli_reports_a_bad_watch_setting(run_cli, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[watch]\nper_hots = 3\n")
    proc = run_cli("feeds", "add", "https://x.example/rss", "--db", "w.db")
    assert proc.returncode == 0
    proc = run_cli("watch", "--once", "--config", str(bad), "--db", "w.db")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "storyline: error: configuration: unknown watch setting: per_hots"


def test_watch_help_names_every_setting_with_its_default(run_cli):
    """README says `watch --help` lists every limit; it listed four of sixteen."""
    from dataclasses import fields

    from storyline.ingest.watch import WatchSettings

    text = " ".join(run_cli("watch", "--help").stdout.split())
    defaults = WatchSettings()
    for f in fields(WatchSettings):
        assert f.name in text, f.name
        value = getattr(defaults, f.name)
        if isinstance(value, bool):
            assert f"{f.name} {str(value).lower()}" in text
        elif isinstance(value, int):
            assert f"{f.name} {value}" in text
