"""The lab: bring one up, take it down, read it, probe it, on one engine.

`up` observes once (`snapshot`), decides as a pure function of the plan and
that snapshot (`decide`), then applies the decision as named phases
(`up`); a failed run removes what it created, and nothing else. These are
the verbs a Python user calls too; the command line is a thin layer over
them.
"""
