"""``python -m dateline.cli``: the same app as the ``dateline`` console script."""

from dateline.cli.main import app

app()
