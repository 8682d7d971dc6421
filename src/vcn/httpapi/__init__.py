"""The HTTP API of the local cloud (API Gateway v2, payload format 2.0): routes, JWT authorizer, proxy."""

from vcn.httpapi.authorizer import JwtAuthorizer, JwtAuthorizerConfig
from vcn.httpapi.routes import HttpRoute, RouteTable
from vcn.httpapi.server import ApiServer

__all__ = ["ApiServer", "HttpRoute", "JwtAuthorizer", "JwtAuthorizerConfig", "RouteTable"]
