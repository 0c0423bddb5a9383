"""The ceiling for benchmarks/load.py: the smallest Flask app, served with the same settings."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    """A constant answer: what gunicorn and Flask cost with no work behind them."""
    return "hello"
