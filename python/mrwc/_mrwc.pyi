"""Type stubs of the extension module (python/src/lib.rs)."""

import os
from typing import Sequence, Tuple, List, Union

__version__: str

def main(argv: Sequence[str]) -> int:
    """Runs a command line (argv[0] is the program's name) as `mrwc`; returns its exit status."""

def count(flags: Sequence[str], paths: Sequence[Union[str, os.PathLike]]) -> Tuple[List[Tuple[str, int]], str]:
    """Counts `paths` with the main command's `flags`: (records in output order, stats JSON)."""
