"""Tests of the Python package: run by `.ci/run` with pytest, in a venv where `pip install .`
put it. They drive `import mrwc` and the installed `mrwc` command."""

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import mrwc

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"


def cli(*args, stdin=None):
    """The installed command's stdout as word -> count, in its order."""
    out = subprocess.run([sys.executable, "-m", "mrwc", *map(str, args)], input=stdin,
                         capture_output=True, check=True).stdout
    rows = {}
    for line in out.decode("utf-8", "replace").splitlines():
        word, _, count = line.rpartition("\t")
        rows[word] = int(count)
    return rows


@pytest.mark.parametrize("name", ["kjv.txt", "zh-modern-1mb.txt", "linux-docs-en-2mb.txt"])
def test_counts_equal_the_command_on_the_shared_corpora(name):
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    got = mrwc.count(path)
    want = cli(path)
    assert got == want
    assert list(got) == list(want), "the order is the command's"
    assert len(got) > 1000
    options = dict(stopwords="en", min_len=2, ngram=(1, 2), top=500)
    assert mrwc.count(str(path), **options) == cli(path, "--stopwords", "en", "--min-len", "2",
                                                   "--ngram", "1..2", "--top", "500")


def test_text_stats_and_frames():
    assert mrwc.count(text="the cat and THE hat") == {"the": 2, "and": 1, "cat": 1, "hat": 1}
    assert mrwc.count(text=b"b a b", sort="word") == {"a": 1, "b": 2}
    result = mrwc.run(text="x y x\n", tokenizer="whitespace", jobs=1)
    assert result.stats["input_bytes"] == 6
    assert result.stats["distinct_words"] == 2
    assert result.stats["map_output_records"] == 3
    try:
        import polars
    except ImportError:
        polars = None
    if polars is not None:
        frame = result.to_polars()
        assert frame.columns == ["word", "count"]
        assert frame.rows() == [("x", 2), ("y", 1)]
    try:
        import pandas
    except ImportError:
        pandas = None
    if pandas is not None:
        assert result.to_pandas()["count"].tolist() == [2, 1]
    if polars is None and pandas is None:
        pytest.skip("neither polars nor pandas is installed: the frames are untested")


def test_errors_are_python_exceptions_with_mrwc_messages(tmp_path):
    missing = tmp_path / "missing.txt"
    with pytest.raises(FileNotFoundError, match="missing.txt: No such file or directory"):
        mrwc.count(missing)
    with pytest.raises(ValueError, match="tokenizer"):
        mrwc.count(text="x", tokenizer="nope")
    with pytest.raises(ValueError, match="above --max-len"):
        mrwc.count(text="x", min_len=3, max_len=2)
    with pytest.raises(ValueError, match="--stopwords"):
        mrwc.count(text="x", stopwords=str(tmp_path / "no-list.txt"))
    with pytest.raises(ValueError, match="nothing to count"):
        mrwc.count()
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    secret.chmod(0)
    if os.geteuid() != 0:
        with pytest.raises(PermissionError, match="secret.txt: Permission denied"):
            mrwc.count(secret)
    assert not list(tmp_path.glob(".mrwc*")), "temporary files left behind"


INTERRUPTED = r"""
import os, sys, mrwc
try:
    mrwc.count(sys.argv[1], jobs=1)
    print("finished")
except KeyboardInterrupt:
    print("interrupted")
    print(sorted(os.listdir(os.environ["TMPDIR"])))
"""


def test_a_keyboard_interrupt_stops_a_long_count_cleanly(tmp_path):
    # A FIFO fed without end: the count never finishes on its own, so the job must stop.
    fifo = tmp_path / "endless"
    os.mkfifo(fifo)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = dict(os.environ, TMPDIR=str(scratch))
    proc = subprocess.Popen([sys.executable, "-c", INTERRUPTED, str(fifo)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    writer = open(fifo, "wb")  # returns once the count has opened the FIFO to read it
    stop = threading.Event()
    fed = threading.Event()

    def feed():
        try:
            while not stop.is_set():
                writer.write(b"the cat sat on the mat\n" * 4096)
                fed.set()
        except (BrokenPipeError, ValueError):
            pass

    feeder = threading.Thread(target=feed)
    feeder.start()
    fed.wait()
    proc.send_signal(signal.SIGINT)
    # The bound only turns a job that never stops into a failure instead of a hung CI.
    out, err = proc.communicate(timeout=600)
    stop.set()
    feeder.join()
    try:
        writer.close()
    except BrokenPipeError:
        pass
    assert proc.returncode == 0, err
    assert out.splitlines() == ["interrupted", "[]"], (out, err)


def test_the_command_and_python_m():
    version = subprocess.run([sys.executable, "-m", "mrwc", "--version"], capture_output=True,
                             text=True, check=True).stdout
    assert version == f"mrwc {mrwc.__version__}\n"
    assert cli(stdin=b"a b a\n") == {"a": 2, "b": 1}
    bad = subprocess.run([sys.executable, "-m", "mrwc", "/no/such/file"], capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr == "mrwc: /no/such/file: No such file or directory\n"


def test_languages_user_dictionaries_and_encodings(tmp_path):
    # Japanese by its analyzer; a kana-less Han line is Chinese unless han="ja".
    assert mrwc.count(text="ファイルを指定します。\n", sort="word") == {
        "し": 1, "ます": 1, "を": 1, "ファイル": 1, "指定": 1}
    assert "変数" not in mrwc.count(text="環境変数\n")
    assert mrwc.count(text="環境変数\n", han="ja") == {"変数": 1, "環境": 1}
    user = tmp_path / "user.txt"
    user.write_text("量子猫咖啡 5 n\n", encoding="utf-8")
    assert "量子猫咖啡" not in mrwc.count(text="我们去量子猫咖啡\n")
    assert mrwc.count(text="我们去量子猫咖啡\n", user_dict=user)["量子猫咖啡"] == 1
    bad = tmp_path / "bad.txt"
    bad.write_text("a 1 n extra\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 1"):
        mrwc.count(text="x", user_dict=bad)
    # A str text is encoded in the encoding asked for; files are decoded from it.
    legacy = tmp_path / "zh.txt"
    legacy.write_bytes("计算机系统的工作原理\n".encode("gb18030"))
    want = mrwc.count(text="计算机系统的工作原理\n")
    assert mrwc.count(legacy, encoding="gb18030") == want
    assert mrwc.count(legacy, encoding="auto") == want
    assert mrwc.count(text="计算机系统的工作原理\n", encoding="gbk") == want
    assert mrwc.run(legacy, encoding="gbk").stats["encodings"] == [
        {"name": "GBK", "inputs": 1, "detected": 0}]
