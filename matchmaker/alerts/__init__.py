"""Saved searches and the alerts they send: matched at publication, delivered by period."""
