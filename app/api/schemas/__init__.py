"""Request and response models of the HTTP API, one module per area (inputs and outputs
are separate classes): ``common`` (the strict input base, the error shape, shared pieces),
``catalog``, ``formulas``, ``models``, ``runs``, ``stream``, ``explain``, ``export``,
``lessons`` and ``maps``."""
