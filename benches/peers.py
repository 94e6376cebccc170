"""The peers of `cargo bench --bench e2e`: the same word count in DuckDB, Polars, Python jieba
and Janome, as their users would write it. Run by the benchmark with the bench venv's Python:

    python benches/peers.py duckdb|polars|jieba|janome FILE > counts.tsv

duckdb and polars apply mrwc's whitespace rule with its default case mapping (lower-case, split
on runs of whitespace); jieba cuts Chinese text with its default dictionary and counts with
collections.Counter, keeping the tokens that are not whitespace; janome does the same for
Japanese with its IPADIC analyzer (wakati mode), line by line. Each writes
`word<TAB>count` lines, most frequent first, as mrwc does.
"""

import sys


def duckdb_count(path):
    import duckdb

    con = duckdb.connect()
    rows = con.execute(
        r"""
        SELECT word, count(*) AS n FROM (
            SELECT unnest(regexp_split_to_array(lower(line), '\s+')) AS word
            FROM read_csv(?, columns = {'line': 'VARCHAR'}, header = false, delim = '\x1f',
                          quote = '', escape = '', auto_detect = false)
        ) WHERE word <> '' GROUP BY word ORDER BY n DESC, word
        """,
        [path],
    ).fetchall()
    return rows


def polars_count(path):
    import polars as pl

    lines = pl.scan_csv(path, has_header=False, separator="\x1f", quote_char=None,
                        new_columns=["line"], schema_overrides={"line": pl.Utf8})
    counts = (
        lines.select(pl.col("line").str.to_lowercase().str.extract_all(r"\S+").alias("word"))
        .explode("word")
        .drop_nulls()
        .group_by("word")
        .len()
        .sort(["len", "word"], descending=[True, False])
        .collect(engine="streaming")
    )
    return counts.iter_rows()


def jieba_count(path):
    import collections
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    counts = collections.Counter()
    with open(path, encoding="utf-8") as f:
        for line in f:
            counts.update(w for w in jieba.cut(line) if w.strip())
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def janome_count(path):
    import collections

    from janome.tokenizer import Tokenizer

    tokenizer = Tokenizer()
    counts = collections.Counter()
    with open(path, encoding="utf-8") as f:
        for line in f:
            counts.update(w for w in tokenizer.tokenize(line, wakati=True) if w.strip())
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def main():
    engine, path = sys.argv[1], sys.argv[2]
    engines = {"duckdb": duckdb_count, "polars": polars_count, "jieba": jieba_count, "janome": janome_count}
    rows = engines[engine](path)
    out = sys.stdout
    for word, n in rows:
        out.write(f"{word}\t{n}\n")


if __name__ == "__main__":
    main()
