"""Web: the server-rendered reader site and the JSON API (FastAPI, Jinja2, uvicorn)."""
