"""mrwc's PySpark driver, embedded in the mrwc binary and written to the job's work directory by
`mrwc -r spark`. Not meant to be run by hand.

argv[1] is a JSON object:
  inputs      paths or URLs (hdfs://, s3a://, file://) for SparkContext.textFile
  map_args    arguments of `mrwc map` (tokenizer, case)
  result      local file the driver writes: one `word<TAB>count` line per word
  partitions  number of reduce partitions for reduceByKey
  per_input   whether `mrwc map` must know which input it maps (--by-file, --df): then each
              input is piped with `--input-name I`, I its index in `inputs`

Lines are read as bytes (use_unicode=False) and each partition is piped through `mrwc map`
with a binary-safe pipe: PySpark's rdd.pipe writes str(element) and decodes the command's output
as UTF-8, so it cannot carry text that is not valid UTF-8. Like rdd.pipe(checkCode=True), a
non-zero exit of the command fails the task; its environment is explicit (the default of a
child started by Spark's Python worker is not something to rely on).
"""

import json
import os
import subprocess
import sys
import threading

from pyspark import SparkFiles
from pyspark.sql import SparkSession


def pipe_partition(map_args):
    def run(lines):
        exe = SparkFiles.get("mrwc")
        os.chmod(exe, 0o755)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}
        proc = subprocess.Popen([exe, "map"] + map_args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env)
        errors = []

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
            errors.append(proc.stderr.read())

        writer = threading.Thread(target=feed)
        reader = threading.Thread(target=drain)
        writer.start()
        reader.start()
        for out in proc.stdout:
            word, _, count = out.rstrip(b"\n").rpartition(b"\t")
            yield word, int(count)
        writer.join()
        reader.join()
        code = proc.wait()
        if code != 0:
            stderr = b"".join(e for e in errors if isinstance(e, bytes)).decode("utf-8", "replace").strip()
            raise RuntimeError("mrwc map exited with status %d: %s" % (code, stderr))
        for e in errors:
            if isinstance(e, Exception):
                raise e
    return run


def main():
    job = json.loads(sys.argv[1])
    spark = SparkSession.builder.appName("mrwc").getOrCreate()
    sc = spark.sparkContext
    sc.setLogLevel("ERROR")
    if job["per_input"]:
        mapped = sc.union([
            sc.textFile(path, use_unicode=False)
              .mapPartitions(pipe_partition(job["map_args"] + ["--input-name", str(i)]))
            for i, path in enumerate(job["inputs"])
        ])
    else:
        lines = sc.textFile(",".join(job["inputs"]), use_unicode=False)
        mapped = lines.mapPartitions(pipe_partition(job["map_args"]))
    counts = mapped.reduceByKey(lambda a, b: a + b, job["partitions"])
    tmp = job["result"] + ".partial"
    with open(tmp, "wb") as out:
        for word, count in counts.toLocalIterator():
            out.write(word)
            out.write(b"\t%d\n" % count)
    os.rename(tmp, job["result"])
    spark.stop()


if __name__ == "__main__":
    main()
