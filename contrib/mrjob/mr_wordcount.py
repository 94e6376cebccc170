"""Word count on any mrjob runner, with mrwc as mapper, combiner and reducer.

    python mr_wordcount.py -r local  --mrwc target/release/mrwc INPUT...
    python mr_wordcount.py -r hadoop --mrwc /path/to/mrwc hdfs:///corpus/
    python mr_wordcount.py -r emr    --mrwc ./mrwc s3://bucket/corpus/   (or -r dataproc)

The mrwc executable given with --mrwc (default: the one on PATH) is uploaded to each task's
working directory as ./mrwc. The steps are commands (mapper_cmd and friends), which mrjob runs
under -r local, -r hadoop, -r emr and -r dataproc but not under -r inline. Their output is
passed through raw: `word<TAB>count` lines, as `mrwc --sort word` writes them (line order
within each reducer's output).

--tokenizer, --case and --normalize take mrwc's values (`mrwc map --help` lists them); they
are handed to every `mrwc map` task, so the cluster counts as `mrwc` does on one machine.
"""

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

    def files(self):
        if not self.options.mrwc:
            raise ValueError("mrwc not found: give --mrwc PATH")
        return [self.options.mrwc + "#mrwc"]

    def steps(self):
        tokenize = "--tokenizer %s --case %s --normalize %s" % (
            self.options.tokenizer, self.options.case, self.options.normalize)
        return [MRStep(mapper_cmd="./mrwc map " + tokenize,
                       combiner_cmd="./mrwc reduce",
                       reducer_cmd="./mrwc reduce")]


if __name__ == "__main__":
    MRWordCount.run()
