"""``storebridge``: run | demo | check | db copy | …"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.config import ConfigError, Settings
from bot.config_read import load_settings
from bot.logs import LogSettingError, configure_logging

if TYPE_CHECKING:
    from bot.preflight import Finding


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="storebridge", description=__doc__)
    parser.add_argument("--config", help="config file (default $STOREBRIDGE_CONFIG or "
                                         "./storebridge.yml)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="debug logging (else $LOG_LEVEL, default INFO; "
                             "LOG_FORMAT=json for one JSON object per line)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="the service: HTTP on $PORT, Socket Mode with SLACK_APP_TOKEN")
    demo = sub.add_parser("demo", help="everything offline: sandbox stores, local Slack stand-in")
    demo.add_argument("--once", action="store_true",
                      help="play the story once; exit 0 only if every step happened")
    demo.add_argument("--port", type=int, default=0,
                      help="port of the browser view of the Slack stand-in (default: any free)")
    sub.add_parser("check", help="validate the config and reach Slack and every store")
    stores = sub.add_parser("stores", help="store authorization")
    stores_sub = stores.add_subparsers(dest="stores_command", required=True)
    auth = stores_sub.add_parser("authorize", help="print a seller authorization link")
    auth.add_argument("platform", choices=["shopee", "lazada", "tiktok"])
    auth.add_argument("store", nargs="?", help="the configured store (platform:shop_id) the "
                                               "link is for; omit for a new store")
    tpl = sub.add_parser("templates", help="quick-reply templates as YAML")
    tpl_sub = tpl.add_subparsers(dest="templates_command", required=True)
    tpl_sub.add_parser("import", help="read FILE.yml (upsert by topic + name)"
                       ).add_argument("file")
    tpl_sub.add_parser("export", help="write every template to FILE.yml").add_argument("file")
    sync = sub.add_parser("sync", help="catch up stores from their cursors now "
                                       "(a running service posts what is found)")
    sync.add_argument("store", nargs="*", help="store keys (platform:shop_id); default all")
    sync.add_argument("--full", action="store_true", help="from the start of what the "
                                                          "platform keeps, not the cursor")
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    copy = db_sub.add_parser("copy", help="copy everything from an SQLite file into an "
                                          "empty database (ids kept: threads carry on)")
    copy.add_argument("--from", dest="source", required=True, metavar="sqlite:///PATH")
    copy.add_argument("--to", dest="target", required=True, metavar="postgresql://…")
    args = parser.parse_args(argv)
    quiet = args.command == "demo"  # the demo's transcript is its output
    try:
        configure_logging(verbose=args.verbose, quiet=quiet)
    except LogSettingError as e:
        print(f"error: environment: {e}", file=sys.stderr)
        return 2
    if args.command == "demo":
        from bot.demo.run import run_demo
        return asyncio.run(run_demo(once=args.once, port=args.port))
    if args.command == "db":
        from bot.store.copy import run_copy
        return asyncio.run(run_copy(args.source, args.target))
    try:
        settings = load_settings(args.config)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.command == "check":
        from bot.check import run_check
        return asyncio.run(run_check(settings))
    if args.command == "stores":
        from bot.admin import print_authorize_link
        return asyncio.run(print_authorize_link(settings, args.platform, args.store))
    if args.command == "templates":
        return asyncio.run(_templates(settings, args.templates_command, args.file))
    if args.command == "sync":
        from bot.admin import sync_stores
        return asyncio.run(sync_stores(settings, args.store, full=args.full))
    return run_service(settings)


def run_service(settings: Settings) -> int:
    refusal = _refusal(settings)
    if refusal:
        print(f"error: {refusal}", file=sys.stderr)
        return 2
    from bot.preflight import startup_findings

    findings = asyncio.run(startup_findings(settings))
    errors = _log_findings(findings)
    if errors:
        print("error: " + "; ".join(f"{f.item}: {f.detail}" for f in errors), file=sys.stderr)
        return 2
    return _serve(settings, findings)


def _refusal(settings: Settings) -> str | None:
    """Why the service must not start before anything is checked over the network."""
    missing = [name for name, value in (("SLACK_BOT_TOKEN", settings.slack.bot_token),)
               if not value]
    if not settings.slack.app_token and not settings.slack.signing_secret:
        missing.append("SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)")
    if missing:
        return f"environment: {', '.join(missing)} must be set"
    from bot.secret_key import key_refusal

    return asyncio.run(key_refusal(settings))


def _log_findings(findings: list[Finding]) -> list[Finding]:
    """Log what start-up found wrong; returns the errors (warnings only logged)."""
    log = logging.getLogger(__name__)
    for f in findings:
        if not f.ok:
            (log.warning if f.warning else log.error)("%s: %s", f.item, f.detail)
    return [f for f in findings if not f.ok and not f.warning]


def _serve(settings: Settings, findings: list[Finding]) -> int:
    from aiohttp import web

    from bot.http import build_web_app
    from bot.preflight import add_self_check
    from bot.service import Service
    from bot.store import SchemaTooNew
    from bot.store.single_process import AlreadyRunning

    service = Service(settings)
    app = build_web_app(service, socket_mode_token=settings.slack.app_token or None)
    if settings.public_url and not any(f.item == "public URL" and not f.ok for f in findings):
        add_self_check(app, settings.public_url)
    logging.getLogger(__name__).info("StoreBridge on port %s (%d stores)", settings.port,
                                     len(settings.stores))
    app.on_startup.append(_freeze_start_up)  # after the service has started (cleanup_ctx)
    try:
        web.run_app(app, host=os.environ.get("HOST", "0.0.0.0"), port=settings.port,
                    print=None)
    except (SchemaTooNew, AlreadyRunning) as e:  # said plainly, not as a traceback
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


async def _freeze_start_up(app: object) -> None:
    """Start-up leaves ~100k objects that live as long as the process (500 stores'
    settings, the language model's tables, bolt, the connectors). The cyclic GC's
    full collections walked them every time: 90 ms event-loop stalls, a dozen a
    minute under load at full size. Frozen, they are left out of its walks. Only
    here, in ``run``: tests start many services in one process, and frozen garbage
    would never be freed."""
    gc.collect()
    gc.freeze()


async def _templates(settings: Settings, verb: str, file: str) -> int:
    from bot.templates.cli import export_templates, import_templates
    from bot.templates.yaml_io import TemplateFileError

    try:
        if verb == "import":
            print(f"imported {await import_templates(settings, file)} template(s) from {file}")
        else:
            print(f"exported {await export_templates(settings, file)} template(s) to {file}")
    except TemplateFileError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"error: {file}: {e.strerror}", file=sys.stderr)
        return 2
    return 0
