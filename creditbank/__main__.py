"""`python -m creditbank` runs the CLI."""

from creditbank.cli.main import app

app()
