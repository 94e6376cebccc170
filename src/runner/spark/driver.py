"""mrwc's PySpark driver, embedded in the mrwc binary and written to the job's work directory by
`mrwc -r spark`. Not meant to be run by hand.

argv[1] is a JSON object:
  inputs      paths or URLs (hdfs://, s3a://, file://) for Spark's text source
  map_args    arguments of `mrwc map` (tokenizer, case)
  result      local file the driver writes: one `word<TAB>count` line per word
  partitions  number of reduce partitions for reduceByKey
  per_input   whether `mrwc map` must know which input it maps (--by-file, --df): then each
              input is piped with `--input-name I`, I its index in `inputs`
  output      absent: the counts come back to `result`. Else the executors write the part
              files (see write_parts): {"dir": URL, "part_args": flags of `mrwc part`,
              "top": N or null, "min_count": N, "total_order": bool (word ranges,
              not hash partitions), "stats": local file that gets
              "RECORDS WRITTEN": the job's distinct keys and the records written}

Lines are read as bytes (see read_lines) and each partition is piped through `mrwc map` (a
process kept by the Python worker between tasks, see Mapper) with a binary-safe pipe: PySpark's rdd.pipe writes str(element) and decodes the command's output
as UTF-8, so it cannot carry text that is not valid UTF-8. Like rdd.pipe(checkCode=True), a
non-zero exit of the command fails the task; its environment is explicit (the default of a
child started by Spark's Python worker is not something to rely on).
"""

import collections
import json
import os
import re
import subprocess
import sys
import threading
import types
import uuid

from pyspark import SparkFiles, StorageLevel
from pyspark.accumulators import AccumulatorParam
from pyspark.sql import SparkSession
from pyspark.sql.types import BinaryType, StructField, StructType


MASK = (1 << 64) - 1


def fnv1a64(key):
    """mrwc's partition hash (src/partition.rs): a word goes to fnv1a64(word) mod R."""
    h = 0xCBF29CE484222325
    for b in key:
        h = ((h ^ b) * 0x100000001B3) & MASK
    return h


def start(args):
    """`mrwc ARGS` from the binary shipped with the job, with its three streams piped and an
    explicit environment (the executor's own would leak its locale and more)."""
    exe = SparkFiles.get("mrwc")
    os.chmod(exe, 0o755)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}
    return subprocess.Popen([exe] + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)


def pipe(args, lines, done, read=iter):
    """Yields read(stdout) of `mrwc ARGS` fed with `lines` (bytes, each without its end): its
    lines by default. Then calls done(stderr) once the command has exited 0; raises if not."""
    proc = start(args)
    errors = []
    stderr = []

    def feed():
        try:
            for line in lines:
                proc.stdin.write(line)
                proc.stdin.write(b"\n")
            proc.stdin.close()
        except BrokenPipeError:
            pass
        except Exception as e:  # reported after the command's own status
            errors.append(e)

    def drain():
        stderr.append(proc.stderr.read())

    writer = threading.Thread(target=feed)
    reader = threading.Thread(target=drain)
    writer.start()
    reader.start()
    for out in read(proc.stdout):
        yield out
    writer.join()
    reader.join()
    code = proc.wait()
    text = b"".join(stderr)
    if code != 0:
        raise RuntimeError("mrwc %s exited with status %d: %s"
                           % (args[0], code, text.decode("utf-8", "replace").strip()))
    for e in errors:
        raise e
    done(text)


def mappers():
    """This Python worker's `mrwc map --serve` processes, by their arguments, kept between
    tasks in a module of their own: a function shipped to an executor carries copies of the
    driver's globals, so a global here would be a new, empty one in every task."""
    module = sys.modules.get("_mrwc_mappers")
    if module is None:
        module = types.ModuleType("_mrwc_mappers")
        module.by_args = {}
        sys.modules["_mrwc_mappers"] = module
    return module.by_args


class Mapper:
    """A `mrwc map --serve` process: it maps task after task, so a dictionary (jieba's, IPADIC)
    is loaded once per Python worker, not once per task. Spark reuses a Python worker for the
    tasks of its executor (spark.python.worker.reuse); when the worker ends, the process's
    stdin closes and it ends too."""

    def __init__(self, args):
        self.proc = start(["map", "--serve"] + args)
        self.stderr = collections.deque(maxlen=64)
        self.drain = threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr), daemon=True)
        self.drain.start()

    def failure(self):
        code = self.proc.wait()
        self.drain.join()
        text = b"".join(self.stderr).decode("utf-8", "replace").strip()
        return RuntimeError("mrwc map exited with status %d: %s" % (code, text))

    def kill(self):
        self.proc.kill()
        self.proc.wait()


def map_partition(map_args):
    """A task's lines through this worker's `mrwc map --serve` (see `serve` in
    src/streaming.rs): frames of whole lines of about 1 MiB, then its records up to an empty
    line. A task that does not end cleanly (an error, a cancelled task) kills the process."""
    def run(lines):
        key = tuple(map_args)
        mapper = mappers().pop(key, None)
        if mapper is None or mapper.proc.poll() is not None:
            mapper = Mapper(map_args)
        stdin = mapper.proc.stdin
        errors = []

        def feed():
            try:
                block = bytearray()
                for line in lines:
                    block += line
                    block += b"\n"
                    if len(block) >= 1 << 20:
                        stdin.write(b"%d\n" % len(block))
                        stdin.write(block)
                        block = bytearray()
                if block:
                    stdin.write(b"%d\n" % len(block))
                    stdin.write(block)
                stdin.write(b"0\n")
                stdin.flush()
            except BrokenPipeError:
                pass
            except Exception as e:  # reported after the command's own status
                errors.append(e)
                stdin.close()

        writer = threading.Thread(target=feed)
        writer.start()
        clean = False
        try:
            while True:
                out = mapper.proc.stdout.readline()
                if out == b"\n":
                    break
                if not out:
                    writer.join()
                    for e in errors:
                        raise e
                    raise mapper.failure()
                word, _, count = out.rstrip(b"\n").rpartition(b"\t")
                yield word, int(count)
            writer.join()
            for e in errors:
                raise e
            clean = True
        finally:
            if clean:
                mappers()[key] = mapper
            else:
                mapper.kill()
                writer.join()
    return run


class PartStats(AccumulatorParam):
    """Per partition: (records in, records written). A partition's entry is replaced, not
    added to, so a task that runs again (a lost executor) is counted once."""

    def zero(self, value):
        return {}

    def addInPlace(self, a, b):
        a.update(b)
        return a


def part_partition(part_args, keep, stats):
    """One reduce partition's part file, as lines (bytes without their ends): its records
    through `mrwc part`, which orders and formats them as -r threads --output-dir does."""
    def run(index, records):
        seen = [0]

        def lines():
            for word, count in records:
                seen[0] += 1
                if keep is None or word in keep.value:
                    yield word + b"\t%d" % count

        def done(stderr):
            written = 0
            for line in stderr.splitlines():
                if line.startswith(b"reporter:counter:mrwc,OUTPUT_RECORDS,"):
                    written = int(line.rpartition(b",")[2])
            stats.add({index: (seen[0], written)})

        for block in pipe(["part", "--counters"] + part_args, lines(), done, read=blocks):
            yield (bytearray(block),)
    return run


def blocks(stdout):
    """A part file's bytes as rows for Spark's text writer, which writes each row and a line
    end: pieces of about 1 MiB, each cut at a line's end and without it. A row per line would
    cost a conversion per record on the way into the JVM."""
    rest = b""
    while True:
        block = stdout.read(1 << 20)
        if not block:
            break
        block = rest + block
        cut = block.rfind(b"\n")
        if cut < 0:
            rest = block
            continue
        yield block[:cut]
        rest = block[cut + 1:]
    if rest:
        raise RuntimeError("mrwc part: its output does not end with a line end")


def read_lines(spark, paths):
    """The lines of `paths` as bytes, exactly: ended by \\n alone, as mrwc cuts them (a \\r stays
    in its line, where mrwc map reads it as white space). Not sc.textFile: its lines pass
    through Java strings, and a byte sequence that is not UTF-8 comes out as U+FFFD. Spark SQL's
    text source keeps a line's bytes as they are, and a cast to binary hands them over."""
    frame = spark.read.option("lineSep", "\n").text(paths)
    return frame.selectExpr("cast(value as binary) as value").rdd.map(lambda row: row[0])


def main():
    job = json.loads(sys.argv[1])
    spark = SparkSession.builder.appName("mrwc").getOrCreate()
    sc = spark.sparkContext
    sc.setLogLevel("ERROR")
    if job["per_input"]:
        mapped = sc.union([
            read_lines(spark, [path]).mapPartitions(map_partition(job["map_args"] + ["--input-name", str(i)]))
            for i, path in enumerate(job["inputs"])
        ])
    else:
        mapped = read_lines(spark, job["inputs"]).mapPartitions(map_partition(job["map_args"]))
    output = job.get("output")
    if output is None:
        counts = mapped.reduceByKey(lambda a, b: a + b, job["partitions"])
        tmp = job["result"] + ".partial"
        with open(tmp, "wb") as out:
            for word, count in counts.toLocalIterator():
                out.write(word)
                out.write(b"\t%d\n" % count)
        os.rename(tmp, job["result"])
    else:
        write_parts(spark, mapped, job["partitions"], output)
    spark.stop()


def write_parts(spark, mapped, partitions, output):
    """The executors write the part files: partition i holds the words of mrwc's partition i,
    and Spark's writer (its output committer) puts them under output["dir"], one file per
    non-empty partition, then _SUCCESS. Binary rows cast to strings keep their bytes as they
    are (Spark does not check that a string is UTF-8), so words that are not UTF-8 survive.
    With output["commit"], output["dir"] is the user's URL, committed here (UrlCommit)."""
    url = None
    if output["commit"]:
        url = UrlCommit(spark, output["dir"], partitions, output["force"])
    try:
        written = write_parts_to(spark, mapped, partitions, output, url.staging_url() if url else output["dir"])
        if url:
            url.commit()
    except BaseException:
        if url:
            url.abort()
        raise
    with open(output["stats"] + ".partial", "w") as out:
        out.write("%d %d\n" % written)
    os.rename(output["stats"] + ".partial", output["stats"])


def write_parts_to(spark, mapped, partitions, output, dir):
    sc = spark.sparkContext
    if output["total_order"]:
        # Word ranges, from a sample of the words (Spark's RangePartitioner), as Hadoop's
        # TotalOrderPartitioner cuts them: part i holds words before those of part i + 1.
        # Two shuffles on purpose: the ranges are sampled from the reduced words, whose shuffle
        # output Spark keeps; a single range-partitioned reduce would need them before the map
        # output exists, and sampling the input would run every `mrwc map` twice.
        counts = mapped.reduceByKey(lambda a, b: a + b, partitions).sortByKey(numPartitions=partitions)
    else:
        counts = mapped.reduceByKey(lambda a, b: a + b, partitions, partitionFunc=fnv1a64)
    keep = None
    if output["top"] is not None:
        # The N most frequent words of the whole job, ties by word, as the output stage picks
        # them; only they reach the executors' part files.
        counts = counts.persist(StorageLevel.MEMORY_AND_DISK)
        least = output["min_count"]
        best = counts.filter(lambda kv: kv[1] >= least).takeOrdered(output["top"], key=lambda kv: (-kv[1], kv[0]))
        keep = sc.broadcast(set(word for word, _ in best))
    stats = sc.accumulator({}, PartStats())
    rows = counts.mapPartitionsWithIndex(part_partition(output["part_args"], keep, stats))
    schema = StructType([StructField("value", BinaryType(), False)])
    frame = spark.createDataFrame(rows, schema, verifySchema=False)
    frame.selectExpr("cast(value as string) as value").write.option("maxRecordsPerFile", 0).text(dir)
    seen = sum(s[0] for s in stats.value.values())
    written = sum(s[1] for s in stats.value.values())
    return seen, written


PART = re.compile(r"part-([0-9]{5})(-|$)")


class UrlCommit:
    """An --output-dir URL (hdfs://, s3a://, file://...), committed by the driver through
    Hadoop's FileSystem API as mrwc commits a local directory: checked before the job (it must
    not exist, or with --force hold nothing but part files and _SUCCESS); the parts are
    written into a staging directory beside it, renamed part-NNNNN (an empty file for an empty
    partition), _SUCCESS last, and the staging directory renamed to the URL. A job that fails
    removes its staging directory. Replacing an old output (--force) deletes it just before
    the rename: unlike a local one, the two steps are not one."""

    def __init__(self, spark, url, parts, force):
        jvm = spark.sparkContext._jvm
        self.Path = jvm.org.apache.hadoop.fs.Path
        self.url = url
        self.target = self.Path(url)
        self.fs = self.target.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
        self.parts = parts
        self.force = force
        self.check_replaceable()
        parent = self.target.getParent()
        if parent is None or not self.fs.isDirectory(parent):
            raise RuntimeError("%s: parent directory does not exist" % url)
        self.staging = self.Path(parent, ".mrwc-out-" + uuid.uuid4().hex[:12])

    def staging_url(self):
        return self.staging.toString()

    def check_replaceable(self):
        if not self.fs.exists(self.target):
            return
        if not self.force:
            raise RuntimeError("%s: already exists (use --force to replace it)" % self.url)
        for status in self.fs.listStatus(self.target):
            name = status.getPath().getName()
            ours = name == "_SUCCESS" or name.startswith(".") or re.fullmatch(r"part-[0-9]{5}", name)
            if not ours or status.isDirectory():
                raise RuntimeError("%s: holds %s, which mrwc does not write; --force replaces only a "
                                   "directory of part files and _SUCCESS" % (self.url, name))

    def commit(self):
        Path, fs = self.Path, self.fs
        found = {}
        for status in fs.listStatus(self.staging):
            match = PART.match(status.getPath().getName())
            if match:
                index = int(match.group(1))
                if index >= self.parts or index in found:
                    raise RuntimeError("%s: a part file the job did not ask for" % status.getPath().toString())
                found[index] = status.getPath()
        fs.delete(Path(self.staging, "_SUCCESS"), False)
        for index in range(self.parts):
            part = Path(self.staging, "part-%05d" % index)
            if index in found:
                if not fs.rename(found[index], part):
                    raise RuntimeError("%s: cannot rename to %s" % (found[index].toString(), part.toString()))
            else:
                fs.create(part, False).close()
        fs.create(Path(self.staging, "_SUCCESS"), False).close()
        self.check_replaceable()
        if fs.exists(self.target):
            fs.delete(self.target, True)
        if not fs.rename(self.staging, self.target):
            raise RuntimeError("%s: cannot rename %s to it" % (self.url, self.staging.toString()))

    def abort(self):
        try:
            self.fs.delete(self.staging, True)
        except Exception:
            pass


if __name__ == "__main__":
    main()
