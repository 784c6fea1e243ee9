"""What the tests and the benchmarks share, as `prefect.testing` is Prefect's: a scratch copy of the
project with small params (projects.py), synthetic inputs of any size (synthetic.py), and real
inputs read out of the PyPI packages `make` downloads (real_inputs.py). No stage imports it; tests/
and bench/ import it and never each other."""
