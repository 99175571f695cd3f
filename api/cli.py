"""``mittari serve`` (the API and pages under gunicorn) and ``mittari report`` (a meeting report as HTML or PDF)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import click

from core.settings import Settings

#: gunicorn settings for running behind the buffering proxy (deploy/nginx): nginx holds slow clients,
#: so each worker thread only ever sees whole requests. Each value is matched to the nginx side.
GUNICORN_SETTINGS: dict[str, Any] = {
    # threads: a request waiting on the index does not hold a whole process; the app only reads
    "worker_class": "gthread",
    "threads": 4,
    # a worker whose heartbeat stops this long is replaced; nginx's proxy_read_timeout (30 s) gives up at the same time
    "timeout": 30,
    # on SIGTERM, requests in flight get this long: below systemd's 90 s stop timeout
    "graceful_timeout": 20,
    # idle keep-alive connections from nginx: nginx drops its idle upstream connections after 4 s
    # (keepalive_timeout in the upstream block), before gunicorn does, so nginx never reuses one being closed
    "keepalive": 5,
    # the default is one control socket per user (~/.gunicorn/gunicorn.ctl): a second instance on the host
    # replaced the first one's. Mittari does not use it.
    "control_socket_disable": True,
}


def gunicorn_settings(host: str, port: int, workers: int, **overrides: Any) -> dict[str, Any]:
    """Every setting ``mittari serve`` gives gunicorn (those this gunicorn version knows); ``overrides``
    (``worker_class``, ``threads``) replace the chosen ones, for measuring others (``mittari bench api``)."""
    from gunicorn.config import KNOWN_SETTINGS

    known = {s.name for s in KNOWN_SETTINGS}
    chosen = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "accesslog": None,  # the app logs one structured line per request
        **GUNICORN_SETTINGS,
        **{name: value for name, value in overrides.items() if value is not None},
    }
    return {name: value for name, value in chosen.items() if name in known}


def run_gunicorn(settings: Settings, host: str, port: int, workers: int, **overrides: Any) -> None:
    from gunicorn.app.base import BaseApplication

    from api import create_app

    class Server(BaseApplication):
        def load_config(self) -> None:
            for name, value in gunicorn_settings(host, port, workers, **overrides).items():
                self.cfg.set(name, value)

        def load(self) -> Any:
            return create_app(settings, warm=True)

    Server().run()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option(
    "--worker-class",
    default=None,
    help=f"gunicorn worker class (default: {GUNICORN_SETTINGS['worker_class']}, chosen by `mittari bench api`).",
)
@click.option("--threads", default=None, type=click.IntRange(min=1), help="Threads per gthread worker.")
@click.pass_obj
def serve_cmd(
    settings: Settings, host: str, port: int, workers: int, worker_class: str | None, threads: int | None
) -> None:
    """Serve the public read-only API with gunicorn."""
    run_gunicorn(settings, host, port, workers, worker_class=worker_class, threads=threads)


@click.command("report")
@click.option("--body", required=True, help="The council, board or committee, as in the decisions.")
@click.option("--period", required=True, help="The month, YYYY-MM.")
@click.option("--lang", type=click.Choice(["fi", "sv", "en"]), default="fi", show_default=True)
@click.option(
    "--as-of",
    "as_of",
    default=None,
    help="Show the figures as published at this moment (YYYY-MM-DD[THH:MM]); default: the end of the next month.",
)
@click.option(
    "--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="HTML file (default: stdout)."
)
@click.option(
    "--pdf",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also print it to PDF (needs Chromium).",
)
@click.pass_obj
def report_cmd(
    settings: Settings, body: str, period: str, lang: str, as_of: str | None, output: Path | None, pdf: Path | None
) -> None:
    """A printable summary for a board or committee meeting: indicators off target and their trend,
    open initiatives, the month's decisions and the most common feedback topics. A past month shows
    its figures as published at the end of the following month (or --as-of), not today's."""
    html = render_report(settings, body, period, lang, as_of)
    if output is None and pdf is None:
        click.echo(html)
        return
    target = output or pdf.with_suffix(".html")  # type: ignore[union-attr]
    target.write_text(html, encoding="utf-8")
    if output:
        click.echo(f"report written to {output}")
    if pdf:
        print_to_pdf(target, pdf)
        click.echo(f"PDF written to {pdf}")


def render_report(settings: Settings, body: str, period: str, lang: str, as_of: str | None = None) -> str:
    """The report page as one self-contained HTML file (stylesheet inlined), in the reader's language."""
    from flask import g, render_template

    from api import create_app
    from api.page_views import report_context
    from core.errors import MittariError

    app = create_app(settings)
    with app.test_request_context(f"/{lang}/report"):
        g.lang = lang
        css = (Path(app.static_folder or "") / "mittari.css").read_text(encoding="utf-8")
        try:
            context = report_context(body, period, as_of)
        except MittariError as exc:
            raise click.ClickException(str(exc)) from exc
        return render_template("report.html", standalone=True, standalone_css=css, **context)


def print_to_pdf(html: Path, pdf: Path) -> None:
    browser = next((shutil.which(name) for name in CHROMIUMS if shutil.which(name)), None)
    if browser is None:
        raise click.ClickException(
            "no Chromium to print with (deploy/local/browser.sh installs one); the HTML is written and prints as is"
        )
    done = subprocess.run(  # noqa: S603 - a fixed browser binary and our own file paths
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf.resolve()}",
            html.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0 or not pdf.exists():
        raise click.ClickException(f"Chromium could not print the report: {done.stderr[-500:]}")


CHROMIUMS = ("chromium", "chromium-browser", "google-chrome")


@click.command("pages")
@click.option("--runs", default=50, show_default=True, help="Warm requests per page.")
@click.pass_obj
def bench_pages_cmd(settings: Settings, runs: int) -> None:
    """Server time of the public pages (the overview's aim: under 200 ms on the 50,000-event demo)."""
    from api.bench import bench_pages

    bench_pages(settings, runs, click.echo)


@click.command("figures")
@click.option("--runs", default=3, show_default=True, help="Cold recomputations, each from a fresh read model.")
@click.option(
    "--batches",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="Then, on a copy of the embedded index (needs its size free in the temporary folder), this many turns "
    "of real batches and a warm reader after each.",
)
@click.option(
    "--batch-size",
    default=200,
    show_default=True,
    type=click.IntRange(min=1, max=1000),
    help="Newest feedback items rewritten in each feedback batch.",
)
@click.pass_obj
def bench_figures_cmd(settings: Settings, runs: int, batches: int, batch_size: int) -> None:
    """What a reader pays for the figures after an index change: reading the cells, then the overview's."""
    from figures.cold_bench import BATCHES_EMBEDDED_ONLY, bench_batches, bench_figures
    from search.index import embedded_index_path

    if batches and embedded_index_path(settings) is None:
        raise click.UsageError(BATCHES_EMBEDDED_ONLY)  # before the cold runs, not after them
    bench_figures(settings, click.echo, runs)
    if batches:
        bench_batches(settings, click.echo, batches, batch_size)


@click.command("disclosure")
@click.pass_obj
def bench_disclosure_cmd(settings: Settings) -> None:
    """Time and size of each indicator's disclosure pattern (computed once per index generation)."""
    from figures.disclosure_bench import bench_disclosure

    bench_disclosure(settings, click.echo)


@click.command("api")
@click.option(
    "--rate",
    "rates",
    default="50,100,200",
    show_default=True,
    help="Requests per second, or several comma-separated; each is one step per endpoint.",
)
@click.option("--duration", default=10.0, show_default=True, type=click.FloatRange(min=1), help="Seconds per step.")
@click.option("--backend", type=click.Choice(["embedded", "kafka-es"]), default="embedded", show_default=True)
@click.option("--url", default=None, help="Load a running instance instead of starting `mittari serve`.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1))
@click.option("--worker-class", default=GUNICORN_SETTINGS["worker_class"], show_default=True)
@click.option("--threads", default=GUNICORN_SETTINGS["threads"], show_default=True, type=click.IntRange(min=1))
@click.option(
    "--endpoint",
    "endpoints",
    multiple=True,
    type=click.Choice(["search", "indicators", "pages"]),
    help="Endpoint groups to load (default: search and indicators).",
)
@click.option(
    "--find", is_flag=True, help="Step the rate up from the first --rate by 1.5× until p99 > 50 ms or errors."
)
@click.option(
    "--p99",
    "p99_bound",
    default=50.0,
    show_default=True,
    type=click.FloatRange(min=1),
    help="With --find or --ckan: the p99 in ms a rate must keep to hold (the same bound for Mittari and CKAN).",
)
@click.option("--ckan", is_flag=True, help="Also CKAN's datastore_search on the same indicator tables, and the ratio.")
@click.option(
    "--ckan-rate", default=5.0, show_default=True, type=click.FloatRange(min=0.1), help="CKAN's first step, per second."
)
@click.pass_obj
def bench_api_cmd(
    settings: Settings,
    rates: str,
    duration: float,
    backend: str,
    url: str | None,
    workers: int,
    worker_class: str,
    threads: int,
    endpoints: tuple[str, ...],
    find: bool,
    p99_bound: float,
    ckan: bool,
    ckan_rate: float,
) -> None:
    """Open-loop load at fixed rates on the served API: p50/p95/p99, achieved rate and errors per endpoint."""
    from api.bench_api import Server, bench_api

    try:
        steps = [float(r) for r in rates.split(",") if r.strip()]
    except ValueError:
        raise click.BadParameter("comma-separated numbers", param_hint="--rate") from None
    if not steps or min(steps) <= 0:
        raise click.BadParameter("positive numbers", param_hint="--rate")
    if backend == "kafka-es" and not url:
        settings = kafka_es_settings(settings)
    bench_api(
        settings,
        steps,
        duration,
        click.echo,
        server=Server(workers, worker_class, threads),
        url=url,
        endpoints=endpoints or ("search", "indicators"),
        ckan=ckan,
        ckan_rate=ckan_rate,
        find=find,
        p99_bound=p99_bound,
    )


def kafka_es_settings(settings: Settings) -> Settings:
    """The Elasticsearch index of this namespace (filled by `mittari demo` or `mittari ingest` with the same
    MITTARI_SEARCH and MITTARI_NAMESPACE): the API reads only the index."""
    if settings.search.startswith("http"):
        return settings
    return settings.with_overrides(search="http://127.0.0.1:9200")
