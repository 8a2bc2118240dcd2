"""Where `glurpc` writes, through the real CLI against a real daemon: special
files are written through, links followed, nothing created or replaced that
the user did not ask for, formats follow extensions, stdin is read once, and
every failure is one line with the documented exit code."""

from __future__ import annotations

import io
import os
import pty
import stat
import subprocess
import threading
from pathlib import Path

import pytest
from PIL import Image

from .samples import cgm_csv

pytestmark = pytest.mark.integration

RUN_TIMEOUT_S = 300
CSV = cgm_csv(hours=12, seed=3)


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "cgm.csv").write_bytes(CSV)
    return tmp_path


def glurpc(daemon, cwd: Path, *args: str, **popen) -> subprocess.CompletedProcess[bytes]:
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.PIPE)
    return subprocess.run(
        daemon.cli(*args),
        cwd=cwd,
        timeout=RUN_TIMEOUT_S,
        **popen,
    )


def png_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        image.load()  # decodes every byte: a torn file fails here
        return image.size


def one_line_error(result: subprocess.CompletedProcess[bytes], *words: str) -> None:
    text = result.stderr.decode()
    assert "Traceback" not in text and len(text.strip().splitlines()) == 1, text
    for word in words:
        assert word in text, text


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_a_character_device_is_written_through_not_replaced(daemon, work):
    device = work / "null"
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a private /dev/null
    result = glurpc(daemon, work, "plot", "cgm.csv", "-o", str(device))
    assert result.returncode == 0, result.stderr
    assert stat.S_ISCHR(os.lstat(device).st_mode)


def test_a_fifo_is_written_through_not_replaced(daemon, work):
    fifo = work / "pipe.png"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    try:
        result = glurpc(daemon, work, "plot", "cgm.csv", "-o", str(fifo))
        assert result.returncode == 0, result.stderr
        # A FIFO replaced by a file would leave the reader waiting for a writer.
        received, _ = reader.communicate(timeout=RUN_TIMEOUT_S)
    finally:
        reader.kill()
        reader.wait()
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert png_size(received)[0] > 0


def test_a_symlink_is_followed_and_its_target_replaced(daemon, work):
    target = work / "real.png"
    target.write_bytes(b"old")
    link = work / "link.png"
    link.symlink_to(target)
    result = glurpc(daemon, work, "plot", "cgm.csv", "-o", "link.png")
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert png_size(target.read_bytes())[0] > 0


def test_a_missing_directory_is_an_error_and_is_not_created(daemon, work):
    result = glurpc(daemon, work, "plot", "cgm.csv", "-o", "nodir/sub/fig.png")
    assert result.returncode == 1
    one_line_error(result, "nodir/sub", "does not exist")
    assert not (work / "nodir").exists()


def test_a_named_directory_for_several_images_is_created(daemon, work):
    result = glurpc(daemon, work, "plot", "cgm.csv", "-i", "0,1", "-o", "new/figs/")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (work / "new" / "figs").iterdir()) == [
        "cgm_i0.png",
        "cgm_i1.png",
    ]


def test_several_images_into_a_file_name_is_a_usage_error(daemon, work):
    result = glurpc(daemon, work, "plot", "cgm.csv", "-i", "0,1", "-o", "fig.png")
    assert result.returncode == 2 and b"directory" in result.stderr
    assert not (work / "fig.png").exists()


def test_unwritable_targets_are_one_line_and_exit_1(daemon, work):
    proc = glurpc(daemon, work, "plot", "cgm.csv", "-o", "/proc/x.png")
    assert proc.returncode == 1
    one_line_error(proc, "cannot write /proc/x.png")
    a_directory = work / "adir"
    a_directory.mkdir()
    converted = glurpc(daemon, work, "convert", "cgm.csv", "-o", str(a_directory))
    assert converted.returncode == 1
    one_line_error(converted, "is a directory")
    with open("/dev/full", "wb") as full:
        result = glurpc(daemon, work, "plot", "cgm.csv", "-o", "-", stdout=full)
    assert result.returncode == 1
    one_line_error(result, "cannot write to stdout", "No space left")


def test_a_closed_stdout_ends_quietly(daemon, work):
    read_end, write_end = os.pipe()
    os.close(read_end)  # `| head -1` that has already gone
    with os.fdopen(write_end, "wb") as closed:
        result = glurpc(
            daemon, work, "plot", "cgm.csv", "-i", "0,1", "-o", "o/", "--json", stdout=closed
        )
    assert result.returncode == 141 and result.stderr == b""


@pytest.mark.parametrize(("name", "head"), [("p1.pdf", b"%PDF-"), ("p1.svg", b"<")])
def test_the_format_follows_the_extension(daemon, work, name, head):
    result = glurpc(daemon, work, "plot", "cgm.csv", "-o", name)
    assert result.returncode == 0, result.stderr
    data = (work / name).read_bytes()
    assert data.startswith(head)
    if name.endswith(".svg"):
        assert b"<svg" in data[:400]


def test_a_format_that_disagrees_with_the_extension_is_a_usage_error(daemon, work):
    result = glurpc(daemon, work, "plot", "cgm.csv", "-f", "pdf", "-o", "p2.png")
    assert result.returncode == 2 and b"disagrees" in result.stderr
    assert not (work / "p2.png").exists()


def test_skip_existing_keeps_only_complete_images(daemon, work):
    (work / "cgm_i0.png").write_bytes(b"")  # what a crash mid-write could leave
    done = glurpc(daemon, work, "plot", "cgm.csv", "-i", "0")
    assert done.returncode == 0
    complete = (work / "cgm_i0.png").read_bytes()
    (work / "cgm_i1.png").write_bytes(complete[: len(complete) // 2])  # torn
    result = glurpc(daemon, work, "plot", "cgm.csv", "-i", "0,1", "--skip-existing", "--json")
    assert result.returncode == 0, result.stderr
    statuses = sorted(
        line.split(b'"status":"')[1].split(b'"')[0] for line in result.stdout.splitlines()
    )
    assert statuses == [b"skipped", b"written"]
    assert (work / "cgm_i0.png").read_bytes() == complete
    assert png_size((work / "cgm_i1.png").read_bytes())[0] > 0


def test_binary_to_a_terminal_is_refused_unless_forced(daemon, work):
    master, slave = pty.openpty()
    shown = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:  # the terminal closed
                return
            if not chunk:
                return
            shown.extend(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        refused = glurpc(daemon, work, "plot", "cgm.csv", "-o", "-", stdout=slave)
        assert refused.returncode == 2 and b"--force-binary" in refused.stderr
        assert shown == b""
        forced = glurpc(daemon, work, "plot", "cgm.csv", "-o", "-", "--force-binary", stdout=slave)
        assert forced.returncode == 0, forced.stderr
    finally:
        os.close(slave)
        reader.join()
        os.close(master)
    assert b"PNG" in shown[:16]


def test_stdin_is_read_once_for_every_window_and_named_stdin(daemon, work):
    many = glurpc(daemon, work, "plot", "-", "-i", "0,1", input=CSV)
    assert many.returncode == 0, many.stderr
    one = glurpc(daemon, work, "plot", "-", "-i", "2", "-f", "svg", input=CSV)
    assert one.returncode == 0, one.stderr
    names = sorted(p.name for p in work.iterdir() if p.name.startswith("stdin"))
    assert names == ["stdin_i0.png", "stdin_i1.png", "stdin_i2.svg"]
    for name in names[:2]:
        assert png_size((work / name).read_bytes())[0] > 0
