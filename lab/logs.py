"""The lab's log lines (a real execution of an expensive step, Redis going away and coming back),
written to stderr beside gunicorn's own, in the same shape."""

import logging
import sys


def configure() -> None:
    logger = logging.getLogger("lab")
    if logger.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s",
                                           "%Y-%m-%d %H:%M:%S %z"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
