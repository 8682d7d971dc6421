"""The `vcn` command line: run the local cloud and talk to it (or to a deployed stack)."""
