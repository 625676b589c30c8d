"""Every URL pattern of the project, walked once for the tests that visit them all (test_every_url_survives,
test_authorization_matrix): its name, its route with the <converter:name> parts left in, and its pattern."""
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern


@dataclass(frozen=True)
class Route:
    key: str  # "namespace:name", or the route itself for a pattern without a name
    route: str  # "/insure/<int:pk>/"; a regex part stays as written
    pattern: URLPattern
    regex: bool  # some part is a regular expression (re_path), so the route cannot be filled in by converters


def routes(resolver=None, prefix="", namespace="", regex=False):
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        is_regex = regex or not isinstance(entry.pattern, RoutePattern)
        if isinstance(entry, URLResolver):
            inner = namespace + (f"{entry.namespace}:" if entry.namespace else "")
            yield from routes(entry, route, inner, is_regex)
        elif isinstance(entry, URLPattern):
            yield Route(namespace + entry.name if entry.name else "/" + route, "/" + route, entry, is_regex)
