"""No URL answers 5xx, for any party: every path of the URL conf (converters filled with real and missing keys)
is fetched with fuzzed query strings, and every POST form it shows is sent back with fuzzed fields and with raw
bodies — NUL, lone surrogates and other invalid UTF-8, bidi controls, huge numbers, unknown charsets and broken
multipart. The paths and the forms are found by walking the URL conf and the pages, not listed by hand.
Each example runs in a rolled-back savepoint.
"""
import re
import traceback
from html.parser import HTMLParser
from itertools import islice, product
from urllib.parse import quote_from_bytes, urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from singlewindow.accounts.models import User
from singlewindow.enterprises.models import ImportJob
from singlewindow.eport import package
from singlewindow.notifications.models import Notice
from singlewindow.policies.models import Application, IssuanceRun, Policy, Scheme
from singlewindow.portal.tests.test_no_500 import rolled_back
from singlewindow.portal.tests.urlwalk import routes

fuzz = settings(max_examples=12, deadline=None, database=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])

ROLES = [None, "demo", "colleague", "insurer", "bureau", "county", "admin"]
SKIPPED = ("admin/", "i18n/", "static/")
# The names the views read from request.GET / request.POST (grep), plus whatever the forms name.
KNOWN_NAMES = ["county", "status", "q", "page", "scheme", "next", "seen", "tab", "mode", "policy", "action",
               "username", "challenge", "certificate", "signature", "address"]
WORDS = ["approve", "return", "cancel", "disable", "enable", "remove", "unlock", "password", "username", "x"]
NASTY_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(min_size=2000, max_size=5000),
    st.integers().map(str),
    st.sampled_from(["\x00", "a\x00b", "%00", "\u202e锐李", "\u2066x\u2069", "\u200f", "\ufeff", "1e309", "-1", "0",
                     "9" * 40, "-9223372036854775809", "NaN", "inf", "../../etc/passwd", "<script>", "'; --", ""]),
)
RAW_BYTES = st.one_of(  # what only raw percent-encoding can carry: lone surrogates, overlong forms, stray bytes
    NASTY_TEXT.map(lambda t: t.encode()),
    st.sampled_from([b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xff", b"\xc0\xaf", b"\xc0\x80", b"\xfe\xff", b"a\x00"]),
    st.binary(max_size=30),
)
STRAY = st.sampled_from(["", "%", "%E", "%zz", "&&", "=", "==", ";", "+"])  # left unencoded


def encode(raw):
    return quote_from_bytes(raw, safe="")


def query_strings(names):
    pair = st.tuples(st.one_of(st.sampled_from(names), st.text(max_size=10).map(str.encode), RAW_BYTES)
                     .map(lambda n: n.encode() if isinstance(n, str) else n), RAW_BYTES, STRAY)
    return st.lists(pair, max_size=6).map(lambda ps: "&".join(f"{encode(n)}={encode(v)}{s}" for n, v, s in ps))


def templates():
    """Every route of the URL conf as a string with <converter:name> left in."""
    for route in routes():
        if not route.regex and not route.route[1:].startswith(SKIPPED):
            yield route.route


CONVERTER = re.compile(r"<(?:(\w+):)?\w+>")


def fill(template, draw_int, draw_str):
    return CONVERTER.sub(lambda m: str(draw_int()) if m[1] == "int" else draw_str(), template)


def every_fill(template, pks, words):
    """The template with its converters filled in every way (at most 60), for the crawl."""
    kinds = [pks if kind == "int" else words for kind in CONVERTER.findall(template)]
    for values in islice(product(*kinds), 60):
        yield substitute(template, values)


def substitute(template, values):
    rest = iter(values)
    return CONVERTER.sub(lambda m: str(next(rest)), template)


def real_keys(world):
    pks = {999999, 0, world.pending.pk, world.returned.pk, world.scheme.pk}
    for model in (Policy, Scheme, Notice, IssuanceRun, Application, ImportJob):
        pks.update(model.objects.order_by("pk").values_list("pk", flat=True)[:3])
    pks.update(User.objects.filter(username__startswith="demo").values_list("pk", flat=True))
    return sorted(pks)


class Forms(HTMLParser):
    """The POST forms of a page: (action, [field names])."""

    def __init__(self, page):
        super().__init__()
        self.page, self.forms = page, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            post = (attrs.get("method") or "get").lower() == "post"
            self.forms.append((urljoin(self.page, attrs.get("action") or self.page), [], post))
        elif tag in ("input", "select", "textarea", "button") and attrs.get("name") and self.forms:
            self.forms[-1][1].append(attrs["name"])


@pytest.fixture(params=ROLES, ids=lambda r: r or "anonymous")
def party(request, world, client):
    user = request.param and getattr(world, request.param)
    client.raise_request_exception = False  # answer like the real server: the error views run too

    def log_in():
        client.logout()
        if user:
            client.force_login(user)
    pks, words = real_keys(world), [*WORDS, package.build_wheel()[0]]
    paths = sorted({path for t in templates() for path in every_fill(t, pks, words)})
    forms, names = [], set(KNOWN_NAMES)
    with rolled_back():
        for path in paths:
            log_in()
            response = client.get(path)
            if response.status_code == 200 and "html" in response.get("Content-Type", ""):
                parser = Forms(path)
                parser.feed(response.content.decode())
                forms += [(a, f) for a, f, post in parser.forms if post and not urlsplit(a).netloc]
                names.update(n for _, f, post in parser.forms for n in f)
    return log_in, pks, words, sorted({(a, tuple(f)) for a, f in forms}), sorted(names)


def survived(response, what):
    detail = "".join(traceback.format_exception(*response.exc_info)) if response.exc_info else ""
    assert response.status_code < 500, f"{what} -> {response.status_code}\n{detail}"


@fuzz
@given(data=st.data())
def test_every_path_survives_any_query_string(party, client, data):
    log_in, pks, words, _, names = party
    template = data.draw(st.sampled_from(sorted(set(templates()))))
    path = fill(template, lambda: data.draw(st.sampled_from(pks)),
                lambda: data.draw(st.one_of(st.sampled_from(words), RAW_BYTES.map(encode))))
    url = f"{path}?{data.draw(query_strings(names))}"
    with rolled_back():
        log_in()
        survived(client.get(url), f"GET {url}")


@fuzz
@given(data=st.data())
def test_every_form_survives_any_fields(party, client, data):
    log_in, _, _, forms, _ = party
    if not forms:
        return
    action, fields = data.draw(st.sampled_from(forms))
    values = {name: data.draw(st.one_of(NASTY_TEXT, st.lists(NASTY_TEXT, max_size=3))) for name in fields}
    with rolled_back():
        log_in()
        survived(client.post(action, values), f"POST {action} {values!r}")


CONTENT_TYPES = ["application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=latin-1",
                 "application/x-www-form-urlencoded; charset=utf-16", "application/x-www-form-urlencoded; charset=x",
                 "multipart/form-data; boundary=broken", "multipart/form-data", "text/plain", ""]


@fuzz
@given(data=st.data())
def test_every_form_survives_any_raw_body(party, client, data):
    log_in, _, _, forms, _ = party
    if not forms:
        return
    action, fields = data.draw(st.sampled_from(forms))
    body = "&".join(f"{encode(n.encode())}={encode(data.draw(RAW_BYTES))}" for n in fields).encode()
    body = data.draw(st.sampled_from([body, body + b"&x=\xff\x00%00", b"\xff\xfe\x00=%ED%A0%80", b"--broken\r\n"]))
    content_type = data.draw(st.sampled_from(CONTENT_TYPES))
    with rolled_back():
        log_in()
        survived(client.generic("POST", action, body, content_type=content_type),
                 f"POST {action} {content_type!r} {body[:200]!r}")
