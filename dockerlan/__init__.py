"""dockerlan: several machines on one computer, their containers on one LAN."""

__version__ = "0.1.0"
