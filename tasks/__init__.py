"""tunesmith stage logic: one module per DVC stage, plus the pure helpers they share."""
