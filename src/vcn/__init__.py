"""vcn: a Docker-free local cloud that runs a SAM template's EventBridge, AppSync Events, Lambda and HTTP API.

It knows no application: what one application adds for local runs comes from its app profile
(`vcn.local.profile`).
"""

__version__ = "0.1.0"
