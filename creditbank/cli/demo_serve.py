"""`creditbank demo --serve`: after the demo, leave its bank running, with the web pages,
and say where to open them and how a few of its learners sign in."""

from __future__ import annotations

import os
from pathlib import Path

from rich.console import Console
from rich.table import Table

from creditbank.access.tokens import create_actor_token
from creditbank.bank import open_bank
from creditbank.cli.common import make_settings
from creditbank.ledger.actors import AUTHORITY
from creditbank.tooling.demo_portal import demo_logins


def serve_demo(
    data_dir: Path, database_url: str | None, host: str, port: int, console: Console
) -> None:
    """Give a few demo learners a password, print the URLs, then serve until Ctrl-C."""
    import uvicorn

    from creditbank.cli.serving import announce, metrics_dir

    settings = make_settings(data_dir, database_url)
    bank = open_bank(settings)
    try:
        logins = demo_logins(bank)
        valid = next((lg.certificate_number for lg in logins if lg.certificate_number), None)
        token, _, _, _ = create_actor_token(
            bank.engine, AUTHORITY, label="demo dashboard", days=1, now=bank.ledger.clock()
        )
        origin = bank.origin
    finally:
        bank.close()
    base = f"http://{host}:{port}"
    console.rule("the demo's bank, served")
    console.print(f"portal (learners):    {base}/portal")
    console.print(f"verify a certificate: {base}/verify" + (f"/{valid}" if valid else ""))
    console.print(f"authority dashboard:  {base}/authority")
    console.print(f"  its sign-in token (a day): {token}", highlight=False, soft_wrap=True)
    console.print(f"API docs (offline):   {base}/docs  and  {base}/redoc")
    table = Table(title="learners who can sign in")
    for column in ("where they stand", "account number", "password"):
        table.add_column(column, overflow="fold")
    for login in logins:
        table.add_row(login.kind, login.account, login.password)
    console.print(table)
    console.print("Ctrl-C stops the server.")
    os.environ["CREDITBANK_DATA_DIR"] = str(settings.data_dir.resolve())
    if settings.database_url:
        os.environ["CREDITBANK_DATABASE_URL"] = settings.database_url
    with metrics_dir():
        log_config = announce(settings, host=host, port=port, workers=1, origin=origin)
        uvicorn.run(
            "creditbank.api.app:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=1,
            log_level="warning",
            log_config=log_config,
            proxy_headers=False,
            server_header=False,
        )
