"""Example generators: each is a pure function from parsed sources (+ params, + an rng) to examples."""
