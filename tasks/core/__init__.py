"""What every stage shares: the typed config (params.yaml), where artifacts live, atomic I/O, the stage runner, the record type every generator writes, and JSON Schema helpers."""
