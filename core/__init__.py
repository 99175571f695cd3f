"""What every Mittari package shares: settings, errors, the clock, times, the vocabulary of types and logging.

It imports no other Mittari package, so anything may depend on it.
"""
