"""HTTP layer: thin typed routers over the engine."""
