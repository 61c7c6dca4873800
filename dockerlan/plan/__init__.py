"""The plan: what a lab is, computed from the user's request with no side effect.

Nothing in this package talks to Docker or reads the machine: a plan can be
printed, drawn, exported as namespace scripts or unit-tested without an engine.
"""
