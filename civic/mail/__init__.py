"""The development outbox: emails the console backend kept, readable by administrators."""
