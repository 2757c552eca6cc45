"""``python -m engine.studio.worker FD WORKSPACE``: one studio worker on socket FD."""

import sys
from multiprocessing.connection import Connection

from .jobs import worker_main

if __name__ == "__main__":
    worker_main(Connection(int(sys.argv[1])), sys.argv[2])
