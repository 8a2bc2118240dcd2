"""Settings: flag > GLURPCD_* environment > config file > default, the errors
that stop start-up (naming key and line), and --print-config."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from glurpcd.daemon import main
from glurpcd.lifecycle import Duplicates
from glurpcd.settings import configfile
from glurpcd.settings.config import ConfigError, resolve
from glurpcd.settings.options import OPTIONS


@pytest.fixture(autouse=True)
def no_ambient_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither /etc nor the user's own glurpcd.toml leaks into a test."""
    monkeypatch.setattr(configfile, "SYSTEM_FILE", tmp_path / "etc" / "glurpcd.toml")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_precedence_flag_over_env_over_file_over_default(tmp_path: Path) -> None:
    config_file = write(tmp_path / "c.toml", "cache_mb = 100\nseed = 5\nsamples = 4\n")
    env = {"GLURPCD_CACHE_MB": "200", "GLURPCD_SEED": "6"}
    config = resolve({"cache_mb": "300"}, str(config_file), None, env)
    assert config.cache_mb == 300 and config.sources["cache_mb"] == "flag --cache-mb"
    assert config.seed == 6 and config.sources["seed"] == "env GLURPCD_SEED"
    assert config.samples == 4 and config.sources["samples"] == f"file {config_file}:3"
    assert config.queue_size == 256 and config.sources["queue_size"] == "default"


def test_user_file_overrides_system_file_key_by_key(tmp_path: Path) -> None:
    write(configfile.SYSTEM_FILE, 'duplicates = "supersede"\ncache_mb = 64\n')
    user = write(tmp_path / "xdg" / "glurpc" / "glurpcd.toml", "cache_mb = 32\n")
    config = resolve({}, None, None, {"XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    assert config.duplicates is Duplicates.SUPERSEDE
    assert config.sources["duplicates"] == f"file {configfile.SYSTEM_FILE}:1"
    assert config.cache_mb == 32 and config.sources["cache_mb"] == f"file {user}:1"


def test_explicit_config_replaces_both_files(tmp_path: Path) -> None:
    write(configfile.SYSTEM_FILE, "cache_mb = 64\n")
    own = write(tmp_path / "own.toml", "seed = 9\n")
    config = resolve({}, None, None, {"GLURPCD_CONFIG": str(own)})
    assert config.seed == 9 and config.cache_mb == 512


def test_auto_and_legacy_log_level_variable(tmp_path: Path) -> None:
    config_file = write(tmp_path / "c.toml", 'precompute_hours = "auto"\nbatch_rows = 40\n')
    config = resolve({}, str(config_file), None, {"GLURPC_LOG_LEVEL": "debug"})
    assert config.precompute_hours is None and config.batch_rows == 40
    assert config.log_level == "DEBUG" and config.sources["log_level"] == "env GLURPC_LOG_LEVEL"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("seed = 1\n\n  bogus_key = 3\n", ":3: unknown key 'bogus_key'"),
        ("seed = 1\n[cache]\nmb = 5\n", ":2: unknown key 'cache'"),
        ('seed = 1\nsamples = "many"\n', ":2: bad value for 'samples': expected an integer"),
        ("# comment\ncache_mb = -1\n", ":2: bad value for 'cache_mb': must be >= 0"),
        ('duplicates = "newest"\n', ":1: bad value for 'duplicates': expected one of coalesce"),
        ("samples = true\n", ":1: bad value for 'samples': expected an integer, got a boolean"),
        ("seed = = 1\n", "not valid TOML"),
    ],
)
def test_a_bad_file_names_the_key_and_line(tmp_path: Path, text: str, expected: str) -> None:
    config_file = write(tmp_path / "bad.toml", text)
    with pytest.raises(ConfigError) as caught:
        resolve({}, str(config_file), None, {})
    assert str(config_file) in str(caught.value) and expected in str(caught.value)


def test_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="GLURPCD_QUEUE_SIZE: must be >= 1"):
        resolve({}, None, None, {"GLURPCD_QUEUE_SIZE": "0"})


def test_missing_and_world_writable_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        resolve({}, str(tmp_path / "absent.toml"), None, {})
    loose = write(tmp_path / "loose.toml", "seed = 1\n")
    os.chmod(loose, 0o666)
    with pytest.raises(ConfigError, match="writable by every user"):
        resolve({}, str(loose), None, {})


def test_main_stops_with_exit_2_and_one_line(tmp_path: Path, capsys) -> None:
    config_file = write(tmp_path / "bad.toml", "cache_mb = 1\nlog_levle = 'DEBUG'\n")
    assert main(["--config", str(config_file), "--socket", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"glurpcd: {config_file}:2: unknown key 'log_levle' (see glurpcd.toml(5))"]


def test_bad_flag_is_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--samples", "0", "--print-config"])
    assert caught.value.code == 2
    assert "argument --samples: must be >= 1" in capsys.readouterr().err


def test_print_config_shows_every_value_and_its_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    import tomllib

    config_file = write(tmp_path / "c.toml", "# lab settings\ndisk_cache_mb = 1000\n")
    monkeypatch.setenv("GLURPCD_DUPLICATES", "supersede")
    argv = ["--config", str(config_file), "--print-config", "--samples", "3"]
    assert main([*argv, "--socket", str(tmp_path / "g.sock")]) == 0
    out = capsys.readouterr().out
    lines = {line.split(" = ")[0]: line for line in out.splitlines()}
    assert set(lines) == {option.key for option in OPTIONS}
    assert lines["samples"].endswith("# flag --samples")
    assert lines["duplicates"].endswith("# env GLURPCD_DUPLICATES")
    assert lines["disk_cache_mb"].endswith(f"# file {config_file}:2")
    assert lines["queue_size"].endswith("# default")
    # The output is itself a config file that gives the same settings.
    again = write(tmp_path / "again.toml", out)
    assert tomllib.loads(out)["samples"] == 3
    replayed = resolve({}, str(again), None, {})
    assert replayed.samples == 3 and replayed.duplicates is Duplicates.SUPERSEDE
    assert replayed.disk_cache_mb == 1000 and replayed.socket == tmp_path / "g.sock"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("precompute_hours = inf\n", "'precompute_hours': expected a finite number, got inf"),
        ("frame_timeout = nan\n", "'frame_timeout': expected a finite number, got nan"),
        ("grace = -inf\n", "'grace': expected a finite number"),
        (f"seed = {2**64 - 1}\n", "'seed': must be <= 9,223,372,036,854,775,807"),
        ("cache_mb = 9007199254740993\n", "'cache_mb': must be <= "),
        ("write_timeout = 1e300\n", "'write_timeout': must be <= 86,400"),
        ('group = "no-such-group-glurpc"\n', "no group named 'no-such-group-glurpc'"),
    ],
)
def test_values_the_daemon_cannot_honour_are_refused(
    tmp_path: Path, text: str, expected: str
) -> None:
    config_file = write(tmp_path / "bad.toml", text)
    with pytest.raises(ConfigError) as caught:
        resolve({}, str(config_file), None, {})
    assert f"{config_file}:1: bad value for" in str(caught.value)
    assert expected in str(caught.value)


def test_an_environment_number_too_large_for_a_float_is_refused() -> None:
    with pytest.raises(ConfigError, match="GLURPCD_GRACE: expected a finite number, got inf"):
        resolve({}, None, None, {"GLURPCD_GRACE": "1e400"})


def test_an_unknown_group_stops_start_up_in_one_line_leaving_no_socket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    socket = tmp_path / "s.sock"
    monkeypatch.setenv("GLURPCD_GROUP", "no-such-group-glurpc")
    assert main(["--socket", str(socket)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no group named" in err and not socket.exists()


def test_a_group_writable_file_is_refused(tmp_path: Path) -> None:
    shared = write(tmp_path / "shared.toml", "seed = 1\n")
    os.chmod(shared, 0o664)
    with pytest.raises(ConfigError, match="writable by its group"):
        resolve({}, str(shared), None, {})


def test_print_config_escapes_control_characters(tmp_path: Path, capsys) -> None:
    import tomllib

    odd = tmp_path / 'a\nb\x1b[2J"c\\'
    assert main(["--print-config", "--socket", str(odd / "g.sock")]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and len(out.splitlines()) == len(OPTIONS)
    assert tomllib.loads(out)["socket"] == str(odd / "g.sock")
