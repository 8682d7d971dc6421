"""The vehicle-configuration application's profile for the local cloud.

What the generic local cloud (`vcn`) needs to know about this application and nothing else: the template
parameters local runs use, the demo analysts and the claims their tokens carry, the demo event stream (built
with the domain package), the analyst console, start-up hints, the stack's output names, the history route,
`vcn demo`, and the events `vcn check` sends through the template.
`pyproject.toml` names `app_profile:PROFILE` under `[tool.vcn]`.
"""

from app_profile.profile import PROFILE

__all__ = ["PROFILE"]
