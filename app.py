"""The live lab for sharing data between Dash callbacks.

Thin on purpose: create the Dash app, attach the extensions, set the shell layout, expose
`server` for gunicorn (`gunicorn app:server --workers 8`), and under `python app.py` hand over
to the launcher. Every page lives in `pages/`, every shared widget in `components/`, and the
UI-free engine in `lab/`.
"""

import sys

import dash_bootstrap_components  # noqa: F401  (registers the component library before pages import it)
from dash import Dash

from components.shell import create_shell
from lab import api, background, i18n, instrument, logs
from lab.cache import cache, cache_config
from lab.settings import SettingsError, get_settings

try:
    settings = get_settings()
except SettingsError as exc:
    sys.exit(f"Configuration error: {exc}")

app = Dash(
    __name__,
    use_pages=True,
    compress=True,
    title="Sharing data between callbacks: a live lab",
    update_title=None,
    suppress_callback_exceptions=True,
)
server = app.server
# Dash signs background callbacks' job handles with the server's key: one key for every worker
# and every replica (SECRET_KEY), so a poll may land anywhere.
server.secret_key = settings.secret_key
logs.configure()
cache.init_app(server, config=cache_config(settings))
api.init_app(server)
i18n.init_app(server)
instrument.init_app(app, settings)
app.layout = create_shell
# `celery -A app:celery_app worker` (started by `python app.py` when REDIS_URL is set, or the compose
# file's worker service) imports this module: the pages' background callbacks register its tasks.
celery_app = background.celery_app(settings) if settings.redis_url else None

if __name__ == "__main__":
    from lab.launcher import main

    sys.exit(main(app))
