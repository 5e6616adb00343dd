"""Pure numerics: surfaces, optimizers and the runner. Imports no web code."""
