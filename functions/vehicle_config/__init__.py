"""Vehicle-configuration domain: configuration model, catalog, buildability rules, domain events, the
notification contract, grants, and the one use case the producers share (validate and announce).

Pure Python: no AWS SDK, no I/O beyond reading the catalog file shipped inside this package; events leave
through the `EventPublisher` port (`ports`), which adapters implement.
"""
