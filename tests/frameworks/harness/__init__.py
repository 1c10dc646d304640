"""Shared pieces of the framework test harness: the story, the fake model
server, the Reshimu attribute recipe and the OTLP capture."""
