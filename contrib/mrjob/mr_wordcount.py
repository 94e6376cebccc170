"""Word count on any mrjob runner, with mrwc as mapper, combiner and reducer.

    python mr_wordcount.py -r local  --mrwc target/release/mrwc INPUT...
    python mr_wordcount.py -r hadoop --mrwc /path/to/mrwc hdfs:///corpus/
    python mr_wordcount.py -r emr    --mrwc ./mrwc s3://bucket/corpus/   (or -r dataproc)

The mrwc executable given with --mrwc (default: the one on PATH) is uploaded to each task's
working directory as ./mrwc. The steps are commands (mapper_cmd and friends), which mrjob runs
under -r local, -r hadoop, -r emr and -r dataproc but not under -r inline. Their output is
passed through raw: `word<TAB>count` lines, as `mrwc --sort word` writes them (line order
within each reducer's output).

--tokenizer, --case and --normalize take mrwc's values (`mrwc map --help` lists them), and so
do the counting options --stopwords CODE (repeatable), --min-len, --max-len, --no-numbers and
--ngram;
--stopwords-file FILE, --only FILE and --user-dict FILE (repeatable) are uploaded with the job.
--han auto|zh|ja picks how Han text without kana is cut, and --encoding LABEL decodes the
inputs (Hadoop cuts splits at line ends, which is safe in every ASCII-compatible encoding; name
the encoding rather than `auto`, which would guess per split). All are handed to every
`mrwc map` task, so the cluster counts as `mrwc` does on one machine.

--by-file, --df and --doc-per-line go to `mrwc map` (which names each record's file from
Hadoop's mapreduce_map_input_file) and to the reducer, which folds the records into the main
command's tsv rows (`file<TAB>word<TAB>count`, `word<TAB>count<TAB>df`); the combiner sums
them as any other key. Hadoop's key is the first field, the word, so a word's records meet in
one reducer; but its sort leaves a word's lines in any order of file, so the combiner and the
reducer sum in a table (`mrwc reduce --unsorted`, which spills past its --max-memory).
"""

import shlex
import shutil

from mrjob.job import MRJob
from mrjob.step import MRStep


class MRWordCount(MRJob):

    def configure_args(self):
        super().configure_args()
        self.add_passthru_arg("--mrwc", default=shutil.which("mrwc"),
                              help="path of the mrwc executable to upload (default: mrwc on PATH)")
        self.add_passthru_arg("--tokenizer", default="words",
                              choices=["words", "whitespace", "mrjob", "unicode"])
        self.add_passthru_arg("--case", default="lower", choices=["lower", "fold", "keep"])
        self.add_passthru_arg("--normalize", default="none", choices=["none", "nfc", "nfkc"])
        self.add_passthru_arg("--han", default="auto", choices=["auto", "zh", "ja"],
                              help="how Han text without kana is cut")
        self.add_passthru_arg("--user-dict", action="append", default=[],
                              help="a jieba-format user dictionary (uploaded; repeatable)")
        self.add_passthru_arg("--encoding", default="utf-8",
                              help="the inputs' encoding: a WHATWG label such as gb18030 or shift_jis")
        self.add_passthru_arg("--stopwords", action="append", default=[],
                              help="a built-in stopword list by language code (repeatable)")
        self.add_passthru_arg("--stopwords-file", help="a stopword file (uploaded)")
        self.add_passthru_arg("--only", help="count only the words in this file (uploaded)")
        self.add_passthru_arg("--min-len", type=int)
        self.add_passthru_arg("--max-len", type=int)
        self.add_passthru_arg("--no-numbers", action="store_true")
        self.add_passthru_arg("--ngram", help="N or N..M: count runs of words within a line")
        self.add_passthru_arg("--by-file", action="store_true", help="count per input file")
        self.add_passthru_arg("--df", action="store_true", help="add each word's document frequency")
        self.add_passthru_arg("--doc-per-line", action="store_true", help="with --df: a line is a document")

    def files(self):
        if not self.options.mrwc:
            raise ValueError("mrwc not found: give --mrwc PATH")
        files = [self.options.mrwc + "#mrwc"]
        if self.options.stopwords_file:
            files.append(self.options.stopwords_file + "#stopwords.txt")
        if self.options.only:
            files.append(self.options.only + "#only.txt")
        for i, path in enumerate(self.options.user_dict):
            files.append("%s#user-dict-%d.txt" % (path, i))
        return files

    def steps(self):
        o = self.options
        args = ["--tokenizer", o.tokenizer, "--case", o.case, "--normalize", o.normalize,
                "--han", o.han, "--encoding", o.encoding]
        for i in range(len(o.user_dict)):
            args += ["--user-dict", "user-dict-%d.txt" % i]
        for code in o.stopwords:
            args += ["--stopwords", code]
        if o.stopwords_file:
            args += ["--stopwords", "stopwords.txt"]
        if o.only:
            args += ["--only", "only.txt"]
        if o.min_len is not None:
            args += ["--min-len", str(o.min_len)]
        if o.max_len is not None:
            args += ["--max-len", str(o.max_len)]
        if o.no_numbers:
            args.append("--no-numbers")
        if o.ngram:
            args += ["--ngram", o.ngram]
        keys = [flag for flag, on in [("--by-file", o.by_file), ("--df", o.df),
                                      ("--doc-per-line", o.doc_per_line)] if on]
        tokenize = " ".join(shlex.quote(a) for a in args + keys)
        reduce = "./mrwc reduce --unsorted" if keys else "./mrwc reduce"
        return [MRStep(mapper_cmd="./mrwc map " + tokenize,
                       combiner_cmd=reduce,
                       reducer_cmd=" ".join([reduce] + keys))]


if __name__ == "__main__":
    MRWordCount.run()
