"""The `glurpc` command line against a fake daemon: arguments, outputs, exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from glurpc_cli.cli import cli
from tests.render.test_evaluation_compare import compared

from .fake_daemon import CLOSE, FakeDaemon, error_frame, fake_image, handle_of, png_shaped

CSV = b"timestamp,glucose\n2024-01-01T00:00:00,100\n"
KEPT = png_shaped(b"kept")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cgm.csv").write_bytes(CSV)
    (tmp_path / "other.csv").write_bytes(CSV + b"2024-01-01T00:05:00,101\n")
    return tmp_path


def glurpc(fake: FakeDaemon | Path, *args: str) -> Result:
    path = fake.path if isinstance(fake, FakeDaemon) else fake
    return CliRunner().invoke(cli, ["--socket", str(path), "--no-autostart", *args])


def json_lines(result: Result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_ping(fake: FakeDaemon) -> None:
    result = glurpc(fake, "ping")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("pong from glurpcd/fake")


def test_no_daemon_and_no_autostart_exits_3_with_a_hint(socket_dir: Path) -> None:
    result = glurpc(socket_dir / "none.sock", "ping")
    assert result.exit_code == 3
    assert "[daemon_unreachable]" in result.stderr
    assert "glurpc daemon start" in result.stderr and "glurpcd &" not in result.stderr
    assert "systemctl --user start glurpcd.socket" in result.stderr


def test_no_autostart_from_the_environment(socket_dir: Path) -> None:
    env = {"GLURPC_NO_AUTOSTART": "1", "GLURPC_SOCKET": str(socket_dir / "none.sock")}
    result = CliRunner().invoke(cli, ["ping"], env=env)
    assert result.exit_code == 3


@pytest.mark.parametrize(
    ("code", "exit_code"),
    [("invalid_data", 1), ("too_short", 1), ("overloaded", 5), ("permission_denied", 6)],
)
def test_error_frames_become_exit_codes(
    fake: FakeDaemon, workdir: Path, code: str, exit_code: int
) -> None:
    fake.handlers["plot"] = lambda args: error_frame(code, "bad luck")
    result = glurpc(fake, "plot", "cgm.csv")
    assert result.exit_code == exit_code
    assert result.stderr.splitlines()[0] == f"error: bad luck [{code}]"
    assert not (workdir / "cgm_i0.png").exists()


def test_a_refused_handshake_exits_4(socket_dir: Path) -> None:
    refusal = error_frame("unsupported_protocol", "speak 2")
    with FakeDaemon(socket_dir / "s", greeting=refusal) as daemon:
        assert glurpc(daemon, "ping").exit_code == 4


def test_usage_errors_exit_2(fake: FakeDaemon, workdir: Path) -> None:
    assert glurpc(fake, "plot", "cgm.csv", "--index", "3..1").exit_code == 2
    assert glurpc(fake, "plot", "cgm.csv", "--index", "-1").exit_code == 2
    assert glurpc(fake, "plot", "cgm.csv", "other.csv", "-o", "-").exit_code == 2
    assert glurpc(fake, "cache", "delete").exit_code == 2
    for bad in ("yesterday", "2023-03-15T12:00+05:00", "2023-03-15T12:00Z"):
        result = glurpc(fake, "plot", "cgm.csv", "--at", bad)
        assert result.exit_code == 2 and "--at" in result.stderr, (bad, result.output)
    assert "UTC offset" in glurpc(fake, "forecast", "cgm.csv", "--at", "2023-03-15T12:00Z").stderr
    assert fake.requests == []


@pytest.mark.parametrize(
    "args",
    [("plot", "missing.csv"), ("plot", "missing.csv", "cgm.csv", "--index", "0", "-o", "out/")],
)
def test_a_missing_file_is_one_line_alone_or_in_a_batch(
    fake: FakeDaemon, workdir: Path, args: tuple[str, ...]
) -> None:
    result = glurpc(fake, *args)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if "missing.csv" in line]
    assert len(lines) == 1 and "Usage:" not in result.stderr, result.stderr
    assert "cannot read missing.csv: No such file or directory [io_error]" in lines[0]


def test_plot_index_n_asks_for_wire_index_minus_n(fake: FakeDaemon, workdir: Path) -> None:
    result = glurpc(fake, "plot", "cgm.csv", "--index", "3")
    assert result.exit_code == 0, result.output
    (request,) = fake.requests
    assert request["op"] == "plot"
    assert request["args"] == {"csv": CSV, "index": -3, "format": "png"}
    image = (workdir / "cgm_i3.png").read_bytes()
    assert image == fake_image({"handle": handle_of(CSV), "index": -3})


def test_plot_ahead_is_wire_index_12(fake: FakeDaemon, workdir: Path) -> None:
    result = glurpc(fake, "plot", "cgm.csv", "--ahead", "--format", "svg")
    assert result.exit_code == 0, result.output
    assert fake.requests[0]["args"]["index"] == 12
    assert fake.requests[0]["args"]["format"] == "svg"
    assert (workdir / "cgm_ahead.svg").exists()


def test_plot_to_stdout(fake: FakeDaemon, workdir: Path) -> None:
    result = glurpc(fake, "plot", "cgm.csv", "-o", "-")
    assert result.exit_code == 0
    assert result.stdout_bytes == fake_image({"handle": handle_of(CSV), "index": 0})
    assert list(workdir.glob("*.png")) == []


def test_plot_a_range_processes_once_then_plots_by_handle(fake: FakeDaemon, workdir: Path) -> None:
    result = glurpc(fake, "plot", "cgm.csv", "--index", "0..2", "-o", "out/", "--json")
    assert result.exit_code == 0, result.output
    # One request for the three windows: the daemon forecasts them in one model batch.
    assert [r["op"] for r in fake.requests] == ["process", "plot"]
    plots = fake.ops("plot")
    assert plots[0]["args"]["indices"] == [0, -1, -2]
    assert all(p["args"] == {**p["args"], "handle": handle_of(CSV)} for p in plots)
    assert all("csv" not in p["args"] for p in plots)
    assert sorted(path.name for path in (workdir / "out").iterdir()) == [
        "cgm_i0.png",
        "cgm_i1.png",
        "cgm_i2.png",
    ]
    records = json_lines(result)
    assert {(r["index"], r["status"]) for r in records} == {
        (0, "written"),
        (1, "written"),
        (2, "written"),
    }


def test_plot_all_uses_the_samples_from_process(fake: FakeDaemon, workdir: Path) -> None:
    fake.samples = 4
    result = glurpc(fake, "plot", "cgm.csv", "other.csv", "--all", "--ahead", "-o", "o/", "-j", "2")
    assert result.exit_code == 0, result.output
    assert len(fake.ops("process")) == 2
    assert len(fake.ops("plot")) == 2  # one several-window request per file
    names = sorted(path.name for path in (workdir / "o").iterdir())
    assert names[:5] == [f"cgm_{label}.png" for label in ("ahead", "i0", "i1", "i2", "i3")]
    assert len(names) == 10
    assert result.stderr.strip().endswith("10 written, 0 skipped, 0 failed")


def test_skip_existing_resumes_without_asking_again(fake: FakeDaemon, workdir: Path) -> None:
    out = workdir / "out"
    out.mkdir()
    (out / "cgm_i1.png").write_bytes(KEPT)
    result = glurpc(fake, "plot", "cgm.csv", "-i", "0,1", "-o", "out/", "--skip-existing", "--json")
    assert result.exit_code == 0, result.output
    assert [p["args"]["index"] for p in fake.ops("plot")] == [0]
    assert (out / "cgm_i1.png").read_bytes() == KEPT
    statuses = {r["index"]: r["status"] for r in json_lines(result)}
    assert statuses == {0: "written", 1: "skipped"}


def test_skip_existing_with_everything_done_sends_nothing(fake: FakeDaemon, workdir: Path) -> None:
    (workdir / "cgm_i2.png").write_bytes(KEPT)
    result = glurpc(fake, "plot", "cgm.csv", "-i", "2", "--skip-existing")
    assert result.exit_code == 0
    assert fake.requests == []


def test_without_skip_existing_outputs_are_overwritten(fake: FakeDaemon, workdir: Path) -> None:
    (workdir / "cgm_i0.png").write_bytes(b"old")
    assert glurpc(fake, "plot", "cgm.csv").exit_code == 0
    assert (workdir / "cgm_i0.png").read_bytes() != b"old"


def test_a_failing_file_does_not_stop_the_batch(fake: FakeDaemon, workdir: Path) -> None:
    def plot(args: dict) -> dict:
        if args["handle"] == handle_of(CSV) and args["index"] == -1:
            return error_frame("index_out_of_range", "no window -1", samples=1)
        return {"image": b"img", "index": args["index"]}

    fake.handlers["plot"] = plot
    result = glurpc(fake, "plot", "cgm.csv", "other.csv", "-i", "0,1", "-o", "out/", "--json")
    assert result.exit_code == 1
    failed = [r for r in json_lines(result) if r["status"] == "failed"]
    # A several-window request is checked whole: both windows of cgm.csv fail together.
    assert [(r["file"], r["index"], r["code"]) for r in failed] == [
        ("cgm.csv", 0, "index_out_of_range"),
        ("cgm.csv", 1, "index_out_of_range"),
    ]
    assert failed[1]["output"] == str(Path("out") / "cgm_i1.png")
    assert "error: cgm.csv index 1: no window -1 [index_out_of_range]" in result.stderr
    assert sorted(p.name for p in (workdir / "out").iterdir()) == ["other_i0.png", "other_i1.png"]


def test_an_evicted_handle_is_processed_again(fake: FakeDaemon, workdir: Path) -> None:
    evicted = {"done": False}

    def plot(args: dict) -> dict:
        if not evicted["done"]:
            evicted["done"] = True
            return error_frame("not_found", "evicted")
        return {"image": b"img", "index": args["index"]}

    fake.handlers["plot"] = plot
    result = glurpc(fake, "plot", "cgm.csv", "-i", "0,1", "-o", "out/")
    assert result.exit_code == 0, result.output
    assert [r["op"] for r in fake.requests] == ["process", "plot", "process", "plot"]


def test_same_stems_would_clash(fake: FakeDaemon, workdir: Path) -> None:
    (workdir / "a").mkdir()
    (workdir / "a" / "cgm.csv").write_bytes(CSV)
    result = glurpc(fake, "plot", "cgm.csv", "a/cgm.csv", "-o", "out/")
    assert result.exit_code == 2
    assert "clash" in result.stderr


def test_forecast_csv_is_one_row_per_window(fake: FakeDaemon, workdir: Path) -> None:
    def forecast(args: dict) -> dict:
        window = {
            "times": ["t0", "t1"],
            "history": [100.0, 110.0],
            "truth": [120.0, None],
            "median": [118.0, 125.0],
            "quantiles": {key: [1.0, 2.0] for key in ("0.05", "0.25", "0.5", "0.75", "0.95")},
            "unit": "mg/dL",
        }
        if "indices" in args:
            return {"forecasts": [{**window, "index": i} for i in args["indices"]]}
        return {**window, "index": args["index"]}

    fake.handlers["forecast"] = forecast
    result = glurpc(fake, "forecast", "cgm.csv", "--index", "2..3", "--csv")
    assert result.exit_code == 0, result.output
    assert fake.requests[0]["args"]["indices"] == [-2, -3]
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["index"], r["wire_index"]) for r in table] == [("2", "-2"), ("3", "-3")]
    assert (table[0]["median_5"], table[0]["median_10"], table[0]["median_15"]) == (
        "118.0",
        "125.0",
        "",
    )
    assert (table[0]["truth_5"], table[0]["truth_10"], table[0]["q0.95_10"]) == ("120.0", "", "2.0")
    as_json = json.loads(glurpc(fake, "forecast", "cgm.csv", "--ahead").stdout)
    assert (as_json["index"], as_json["wire_index"]) == (None, 12)
    lines = glurpc(fake, "forecast", "cgm.csv", "--index", "0,1").stdout.splitlines()
    assert [json.loads(line)["index"] for line in lines] == [0, 1]


def test_process_convert_cache_and_status(fake: FakeDaemon, workdir: Path) -> None:
    processed = glurpc(fake, "process", "cgm.csv", "--force")
    assert processed.exit_code == 0
    assert f"handle: {handle_of(CSV)}" in processed.stdout
    assert "windows: 5 (--index 0..4" in processed.stdout
    assert "imputation  2 gaps filled" in processed.stdout
    assert fake.requests[-1]["args"]["force"] is True
    converted = glurpc(fake, "convert", "cgm.csv")
    assert converted.stdout_bytes == b"unified:" + CSV
    assert glurpc(fake, "cache", "delete", "abc").exit_code == 0
    assert fake.requests[-1]["args"] == {"action": "delete", "handle": "abc"}
    status = glurpc(fake, "status", "--json")
    assert json.loads(status.stdout)["pid"] == 4242
    assert "daemon: fake pid 4242" in glurpc(fake, "status").stdout


def test_daemon_stop_when_none_runs_is_a_no_op(socket_dir: Path) -> None:
    result = glurpc(socket_dir / "none.sock", "daemon", "stop")
    assert result.exit_code == 0
    assert "not running" in result.stderr


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(shell: str) -> None:
    result = CliRunner().invoke(cli, ["completion", shell])
    assert result.exit_code == 0
    assert "_GLURPC_COMPLETE" in result.stdout


def test_every_lazily_listed_command_loads_under_its_name() -> None:
    from glurpc_cli.cli import COMMANDS

    with click.Context(cli) as ctx:
        for name in COMMANDS:
            command = cli.get_command(ctx, name)
            assert command is not None and command.name == name


def test_one_image_into_a_new_directory(fake: FakeDaemon, workdir: Path) -> None:
    result = glurpc(fake, "plot", "cgm.csv", "-i", "4", "-o", "figs/")
    assert result.exit_code == 0, result.output
    assert (workdir / "figs" / "cgm_i4.png").exists()


def test_daemon_start_passes_options_through_and_finds_a_running_daemon(
    fake: FakeDaemon,
) -> None:
    result = glurpc(fake, "daemon", "start", "--device", "cpu", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"pid": 4242, "socket": str(fake.path), "started": False}


def test_batch_retries_overloaded_after_the_hint(fake: FakeDaemon, workdir: Path) -> None:
    answers = [error_frame("overloaded", "queue full", retry_after=0)]

    def plot(args: dict) -> dict:
        return answers.pop() if answers else {"image": b"img", "index": args["index"]}

    fake.handlers["plot"] = plot
    result = glurpc(fake, "plot", "cgm.csv", "-i", "0,1", "-o", "out/")
    assert result.exit_code == 0, result.output
    assert len(fake.ops("plot")) == 2  # refused once, then both windows in one request


def test_batch_stops_with_exit_3_when_the_daemon_goes_away(fake: FakeDaemon, workdir: Path) -> None:
    fake.handlers["plot"] = lambda args: CLOSE
    result = glurpc(fake, "plot", "cgm.csv", "other.csv", "-i", "0..3", "-o", "out/", "-j", "2")
    assert result.exit_code == 3
    assert "[connection_lost]" in result.stderr


def test_an_overshooting_range_is_one_error_line(fake: FakeDaemon, workdir: Path) -> None:
    fake.samples = 5
    result = glurpc(fake, "plot", "cgm.csv", "-i", "0..1000", "-o", "out/")
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: cgm.csv: 996 of the windows asked do not exist: this data has 5 windows "
        "(--index 0..4; --ahead for the next hour) [index_out_of_range]"
    ]
    assert len(list((workdir / "out").iterdir())) == 5
    assert fake.ops("plot")[0]["args"]["indices"] == [0, -1, -2, -3, -4]


def test_process_shows_stretches_rows_and_warning_lines(fake: FakeDaemon, workdir: Path) -> None:
    fake.handlers["process"] = lambda args: {
        "handle": "ab" * 32,
        "windows": 3,
        "samples": 3,
        "stretches": [
            {"start": "s0", "end": "e0", "readings": 110, "windows": 3, "used": True},
            {"start": "s1", "end": "e1", "readings": 20, "windows": 0, "used": False},
        ],
        "accounting": {"rows": 135, "used": 110, "too_short": 20, "other": 5},
        "warnings": [{"flag": "truncated_line", "message": "1 last line cut", "lines": [136]}],
    }
    out = glurpc(fake, "process", "cgm.csv").stdout
    assert "rows: 135 = 110 used + 20 too_short + 5 other" in out
    assert "s1 .. e1      20 readings       0 windows  (not used)" in out
    assert "1 last line cut (line 136)" in out


def test_evaluate_with_two_models_writes_the_daemons_figure(
    fake: FakeDaemon, workdir: Path
) -> None:
    process = fake.handlers["process"]
    fake.handlers["process"] = lambda args: {**process(args), "windows": 3}
    figure = png_shaped(b"two models")
    fake.handlers["evaluate"] = lambda args: {
        "models": [{"name": "a"}, {"name": "b"}],
        "differences": [],
        "adapt": "none",
        "image": figure,
        "format": "png",
    }
    result = glurpc(
        fake, "evaluate", "cgm.csv", "--model", "a", "--model", "b", "--plot", "m.png", "--json"
    )
    assert result.exit_code == 0, result.output
    assert (workdir / "m.png").read_bytes() == figure
    (request,) = fake.ops("evaluate")
    assert request["args"]["plot"] == "png" and request["args"]["model"] == ["a", "b"]
    printed = json.loads(result.stdout)
    assert [one["name"] for one in printed["models"]] == ["a", "b"] and "image" not in printed


def test_evaluate_with_two_models_writes_one_csv_of_them_all(
    fake: FakeDaemon, workdir: Path
) -> None:
    process = fake.handlers["process"]
    fake.handlers["process"] = lambda args: {**process(args), "windows": 3}
    reply = json.loads(json.dumps(compared(1)))  # the wire's plain types
    fake.handlers["evaluate"] = lambda args: reply
    result = glurpc(fake, "evaluate", "cgm.csv", "--model", "a", "--model", "b", "--csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0][:2] == ["model", "source"]
    assert {row[0] for row in rows[1:]} == {one["name"] for one in reply["models"]}
    assert any(row[4] == "rmse_minus_alpha" for row in rows)


def test_version_is_printed_without_a_daemon(socket_dir: Path) -> None:
    result = glurpc(socket_dir / "none.sock", "--version")
    assert result.exit_code == 0 and result.stdout.startswith("glurpc, version ")
