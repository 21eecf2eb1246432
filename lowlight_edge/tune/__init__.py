"""Choosing the variant to deploy by measurement: every variant of the table made (variants.py), validated and
timed on this machine, the fastest within the drift budget chosen (job.py), and the result written and read back
(result.py)."""
