"""The floor: a bare Flask app answering one small HTML page, served by benchmarks/throughput.py
on the same gunicorn settings as the portal, so that the portal's pages are measured against
what Flask and gunicorn cost on this machine before the portal does anything."""

from flask import Flask

app = Flask(__name__)

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Hello</title></head>
<body><main><h1>Hello</h1><p>A bare Flask page.</p></main></body>
</html>
"""


@app.get("/")
def hello():
    return PAGE
