"""mrwc: a MapReduce word-count engine, from Python.

    >>> import mrwc
    >>> mrwc.count(text="the cat and the hat")
    {'the': 2, 'and': 1, 'cat': 1, 'hat': 1}
    >>> result = mrwc.run("corpus/", stopwords=["en"], top=10)
    >>> result.counts, result.stats["input_bytes"]
    >>> result.to_polars()          # or .to_pandas(), when installed

The engine runs inside this process, the GIL released while it counts; Ctrl-C (a
KeyboardInterrupt) stops it at its next task and removes what it created. Errors are Python
exceptions carrying mrwc's one-line messages: a missing input is FileNotFoundError, an
unreadable one PermissionError, a bad option ValueError.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional, Sequence, Union

from . import _mrwc

__version__ = _mrwc.__version__
__all__ = ["count", "run", "Result", "__version__"]

PathLike = Union[str, "os.PathLike[str]"]


@dataclass
class Result:
    """The outcome of one counting job."""

    #: word -> count, in the job's output order (by count, most frequent first, by default).
    counts: dict
    #: The job's counters, as `mrwc --stats-json` writes them (input_bytes, map_output_records,
    #: distinct_words, phases, peak memory, ...; see docs/guide.md).
    stats: dict = field(default_factory=dict)

    def to_polars(self):
        """The counts as a polars DataFrame with columns `word` and `count`."""
        import polars

        return polars.DataFrame(
            {"word": list(self.counts.keys()), "count": list(self.counts.values())},
            schema={"word": polars.Utf8, "count": polars.UInt64},
        )

    def to_pandas(self):
        """The counts as a pandas DataFrame with columns `word` and `count`."""
        import pandas

        return pandas.DataFrame({"word": list(self.counts.keys()), "count": list(self.counts.values())})


def _paths(paths_or_text: Any) -> list:
    if paths_or_text is None:
        return []
    if isinstance(paths_or_text, (str, os.PathLike)):
        return [os.fspath(paths_or_text)]
    if isinstance(paths_or_text, (bytes, bytearray)):
        raise TypeError("give text as text=...: a bytes argument would be ambiguous with a path")
    return [os.fspath(p) for p in paths_or_text]


def _flags(
    tokenizer: str,
    case: str,
    normalize: Optional[str],
    stopwords: Optional[Union[str, Iterable[str]]],
    min_len: Optional[int],
    max_len: Optional[int],
    no_numbers: bool,
    only: Optional[PathLike],
    ngram: Union[int, str, Sequence[int]],
    top: Optional[int],
    min_count: int,
    sort: str,
    jobs: Optional[int],
    max_memory: Optional[Union[int, str]],
    runner: Optional[str],
    partitions: Optional[int],
    han: str,
    user_dict: Optional[Union[PathLike, Iterable[PathLike]]],
    encoding: str,
) -> list:
    flags = ["--tokenizer", tokenizer, "--case", case, "--sort", sort, "--min-count", str(min_count)]
    if normalize:
        flags += ["--normalize", normalize]
    if isinstance(stopwords, str):
        stopwords = [stopwords]
    for entry in stopwords or []:
        flags += ["--stopwords", os.fspath(entry)]
    if min_len is not None:
        flags += ["--min-len", str(min_len)]
    if max_len is not None:
        flags += ["--max-len", str(max_len)]
    if no_numbers:
        flags.append("--no-numbers")
    if only is not None:
        flags += ["--only", os.fspath(only)]
    if isinstance(ngram, (tuple, list)):
        ngram = "%d..%d" % tuple(ngram)
    if str(ngram) != "1":
        flags += ["--ngram", str(ngram)]
    if top is not None:
        flags += ["--top", str(top)]
    if jobs is not None:
        flags += ["--jobs", str(jobs)]
    if max_memory is not None:
        flags += ["--max-memory", str(max_memory)]
    if runner is not None:
        flags += ["--runner", runner]
    if partitions is not None:
        flags += ["--partitions", str(partitions)]
    flags += ["--han", han, "--encoding", encoding]
    if isinstance(user_dict, (str, os.PathLike)):
        user_dict = [user_dict]
    for entry in user_dict or []:
        flags += ["--user-dict", os.fspath(entry)]
    return flags


def run(
    paths_or_text: Union[PathLike, Sequence[PathLike], None] = None,
    *,
    text: Optional[Union[str, bytes]] = None,
    tokenizer: str = "words",
    case: str = "lower",
    normalize: Optional[str] = None,
    stopwords: Optional[Union[str, Iterable[str]]] = None,
    min_len: Optional[int] = None,
    max_len: Optional[int] = None,
    no_numbers: bool = False,
    only: Optional[PathLike] = None,
    ngram: Union[int, str, Sequence[int]] = 1,
    top: Optional[int] = None,
    min_count: int = 1,
    sort: str = "count",
    jobs: Optional[int] = None,
    max_memory: Optional[Union[int, str]] = None,
    runner: Optional[str] = None,
    partitions: Optional[int] = None,
    han: str = "auto",
    user_dict: Optional[Union[PathLike, Iterable[PathLike]]] = None,
    encoding: str = "utf-8",
) -> Result:
    """Counts words as `mrwc` does and returns a :class:`Result` (counts and counters).

    `paths_or_text` is a path (str or os.PathLike: a file or a directory tree) or a list of
    them; `text` (str or bytes) is counted instead of, or as well as, paths. The keyword options
    are the command's flags (`mrwc --help`): `stopwords` a language code, a file, or a list of
    them; `ngram` N, "N..M" or (N, M); `max_memory` bytes or a size such as "512M";
    `han` "auto", "zh" or "ja" (how Han text without kana is cut); `user_dict` a jieba-format
    dictionary file or a list of them; `encoding` "utf-8", "auto" or a WHATWG label ("gb18030",
    "shift_jis", ...) for the paths and for bytes given as `text` (a str `text` is encoded in it).
    """
    paths = _paths(paths_or_text)
    flags = _flags(tokenizer, case, normalize, stopwords, min_len, max_len, no_numbers, only, ngram,
                   top, min_count, sort, jobs, max_memory, runner, partitions, han, user_dict, encoding)
    with tempfile.TemporaryDirectory(prefix=".mrwc-text-") as scratch:
        if text is not None:
            name = os.path.join(scratch, "text")
            with open(name, "wb") as f:
                plain = encoding.lower() in ("utf-8", "utf8", "auto")
                f.write(text.encode("utf-8" if plain else encoding) if isinstance(text, str) else bytes(text))
            paths.append(name)
        if not paths:
            raise ValueError("nothing to count: give paths or text=")
        rows, stats = _mrwc.count(flags, paths)
    return Result(counts=dict(rows), stats=json.loads(stats))


def count(paths_or_text: Union[PathLike, Sequence[PathLike], None] = None, **options: Any) -> dict:
    """Counts words as `mrwc` does: word -> count, most frequent first (see :func:`run`)."""
    return run(paths_or_text, **options).counts
