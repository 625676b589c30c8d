"""A person's browser reduced to plain HTTP (requests) for the topology test and the rush bench: one cookie jar
for the whole site whichever app process answers (behind nginx they are one site), the CSRF token read from the
page's form as a browser would post it, redirects returned rather than followed."""
import re

import requests

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def form_value(html, name):
    """The value of the first input named `name` on the page, or None."""
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', html) or re.search(
        rf'<input[^>]*value="([^"]*)"[^>]*name="{re.escape(name)}"', html)
    return match.group(1) if match else None


class PortalClient:
    def __init__(self, timeout=60):
        self.http = requests.Session()
        self.cookies = {}
        self.timeout = timeout
        self.csrf_token = None

    def request(self, method, url, **kwargs):
        response = self.http.request(method, url, cookies=self.cookies, allow_redirects=False,
                                     timeout=self.timeout, **kwargs)
        self.http.cookies.clear()  # the jar is per host; ours is per site
        self.cookies.update(response.cookies.get_dict())
        if token := CSRF_FIELD.search(response.text or ""):
            self.csrf_token = token.group(1)
        return response

    def get(self, url, **kwargs):
        return self.request("GET", url, **kwargs)

    def post(self, url, data, **kwargs):
        """POST a form with the token of the last page shown (on any app process: the secret is the cookie's)."""
        return self.request("POST", url, data={"csrfmiddlewaretoken": self.csrf_token, **data}, **kwargs)

    def log_in(self, base_url, username, password):
        """账号密码 login; the response (302 when it worked)."""
        self.get(f"{base_url}/login/")
        return self.post(f"{base_url}/login/", {"username": username, "password": password})

    def close(self):
        self.http.close()
