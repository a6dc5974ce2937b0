"""gunicorn reads this file by default when started from the project directory.

The settings and hooks live in `lab.gunicorn_config`, shared with `python app.py`.
"""

from lab.gunicorn_config import *  # noqa: F401,F403
