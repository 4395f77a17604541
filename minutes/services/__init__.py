"""State changes of the minutes (check_*/do_* pairs, ``docs/contributing.md``)."""
