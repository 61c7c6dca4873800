"""Compose files read into an App (plan/app.py): the reader, and one module for each part of
the file it reads (schema and values, mounts, ports, process options, networks, several
files merged)."""

from dockerlan.plan.compose.reader import ComposeApp, parse, read

__all__ = ["ComposeApp", "parse", "read"]
