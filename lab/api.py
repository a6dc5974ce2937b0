"""The instructor's HTTP interface (also what the tests and the benchmark drive)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from lab.health import health
from lab.settings import get_settings

blueprint = Blueprint("lab_api", __name__, url_prefix="/api")


@blueprint.get("/health")
def get_health():
    """Backend, Redis reachability, the answering worker, the master and every live worker."""
    response = jsonify(health(current_app, get_settings()))
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(server) -> None:
    server.register_blueprint(blueprint)
