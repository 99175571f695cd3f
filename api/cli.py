"""``mittari serve``: the API under gunicorn, reading the same data directory as the other commands."""

from __future__ import annotations

from typing import Any

import click

from search.settings import Settings


def run_gunicorn(settings: Settings, host: str, port: int, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    from api import create_app

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("accesslog", None)  # the app logs one structured line per request
            self.cfg.set("timeout", 30)

        def load(self) -> Any:
            return create_app(settings)

    Server().run()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.pass_obj
def serve_cmd(settings: Settings, host: str, port: int, workers: int) -> None:
    """Serve the public read-only API with gunicorn."""
    run_gunicorn(settings, host, port, workers)
