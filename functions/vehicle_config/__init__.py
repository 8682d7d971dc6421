"""Vehicle-configuration domain: configuration model, catalog, buildability rules, domain events, grants.

Pure Python: no AWS SDK, no I/O beyond reading the catalog file shipped inside this package.
"""
