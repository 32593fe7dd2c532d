"""The ``dateline`` command line: thin commands over library functions."""
