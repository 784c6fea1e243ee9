"""Example generators. Each is a function of its parsed source, the params, a seeded rng and a quota
that returns (examples, coverage) and changes none of its inputs but the rng's state."""
