"""The HTTP API of the local cloud (API Gateway v2, payload format 2.0): routes, JWT authorizer, proxy."""

from vcn.httpapi.authorizer import JwtAuthorizer
from vcn.httpapi.config import HttpApiConfig, HttpRoute, JwtAuthorizerConfig
from vcn.httpapi.routes import RouteTable
from vcn.httpapi.server import ApiServer

__all__ = ["ApiServer", "HttpApiConfig", "HttpRoute", "JwtAuthorizer", "JwtAuthorizerConfig", "RouteTable"]
