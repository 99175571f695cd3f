"""What may be published about residents: the publication policy, redaction and disclosure control.

Every other package asks this one before a value leaves the city's systems:
``ingest`` redacts events by the policy before folding them, ``search`` and the
figures withhold cells that could single a resident out, ``api`` and
``publisher`` serialise only what the policy calls public. It depends on no
other Mittari package, so each of them can depend on it.
"""
