"""Background jobs: the worker that sends what was committed, the clock's commands, failures.

A real consumer (`flask --app portal worker`) runs in a process of its own in a few
tests only (they are slow); everything else runs the app's Huey in immediate mode
(`memory://`) or calls the domain functions with `now=`. Time never passes by
sleeping: `time_machine` moves the clock. Waiting for another process is done by
polling with a deadline.
"""
