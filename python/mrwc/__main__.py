"""`python -m mrwc` and the `mrwc` command installed by the package: the same command line as
the `mrwc` binary, run by the engine inside this process."""

import os
import sys

from . import _mrwc


def main() -> None:
    # The program's name as the binary's messages give it, whatever the launcher's path.
    sys.exit(_mrwc.main(["mrwc"] + [os.fsdecode(a) for a in sys.argv[1:]]))


if __name__ == "__main__":
    main()
