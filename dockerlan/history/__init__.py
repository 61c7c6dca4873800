"""Operation histories of an application under test, and whether they stayed correct.

A history is what clients did, with the time each call began and ended (ops.py);
a model says what one object answers (models.py); linear.py decides whether the
history is linearizable for the model: whether each operation can be placed at one
instant between its call and its return so that, in that order, every answer is the
model's. Pure: no engine, no terminal.
"""
