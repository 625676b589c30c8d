#!/usr/bin/env python3
"""An insurer's system talking to the single window's REST API (/api/v1/), with the standard library only.

    SW_API_TOKEN=swk_… python examples/api_client.py --base-url http://127.0.0.1:8000 --uscc 91441502…

It reads its token's organisation (/me), issues a 待确认 policy to the enterprise `--uscc` under the newest
scheme the branch underwrites (POST /policies), then walks the policies 审批中 (confirmed by their enterprises)
page by page and approves the first (POST /policies/{id}/approve), or the one `--approve` names.
`verify_webhook` is what its webhook receiver runs on every delivery (policy.approved and the others).

What it shows a client must do:
- send `Authorization: Bearer swk_…` on every call;
- send a new `Idempotency-Key` with every POST and keep it for that POST's retries: a retry after a network
  error or a 409 (the first try still running) can then never issue twice;
- wait `Retry-After` seconds on 429;
- read errors as problem+json: `code` for the program, `detail` (Chinese) for the person, `errors` by field.
"""
import argparse
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid


class Problem(Exception):
    """An error answer (RFC 9457 problem details)."""

    def __init__(self, status, problem):
        super().__init__(f"{status} {problem.get('code')}: {problem.get('detail')}")
        self.status, self.problem = status, problem
        self.code = problem.get("code")


def urllib_send(base_url):
    """The transport: (method, path, body bytes, headers) → (status, headers, body bytes), over HTTP."""

    def send(method, path, body, headers):
        request = urllib.request.Request(base_url.rstrip("/") + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    return send


class SingleWindow:
    def __init__(self, send, token, *, retries=5, sleep=time.sleep):
        self.send, self.token, self.retries, self.sleep = send, token, retries, sleep

    def call(self, method, path, payload=None):
        body = json.dumps(payload or {}).encode() if method == "POST" else None
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if method == "POST":
            headers["Content-Type"] = "application/json"
            headers["Idempotency-Key"] = str(uuid.uuid4())  # one per operation, the same for its retries
        for attempt in range(self.retries + 1):
            try:
                status, answer_headers, content = self.send(method, path, body, headers)
            except OSError:  # the network: retry (a POST with the same key cannot act twice)
                if attempt == self.retries:
                    raise
                self.sleep(2 ** attempt)
                continue
            busy = status == 429 or (status == 409 and _code(content) == "idempotency_in_flight")
            if busy and attempt < self.retries:
                self.sleep(int(_header(answer_headers, "Retry-After") or 1))
                continue
            data = json.loads(content) if content else None
            if status >= 400:
                raise Problem(status, data or {})
            return data
        raise AssertionError("unreachable")

    def pages(self, path, **filters):
        """Every row of a list, following next_cursor until has_more is false."""
        after = None
        while True:
            query = "&".join(f"{k}={v}" for k, v in {**filters, "limit": 100, **({"after": after} if after else {})}
                             .items())
            page = self.call("GET", f"{path}?{query}")
            yield from page["data"]
            if not page["has_more"]:
                return
            after = page["next_cursor"]


def _code(content):
    try:
        return json.loads(content).get("code")
    except (ValueError, AttributeError):
        return None


def _header(headers, name):
    return next((value for key, value in headers.items() if key.lower() == name.lower()), None)


# --- receiving webhooks -------------------------------------------------------------------------------------

TOLERANCE = 300  # seconds: refuse anything signed more than 5 minutes from our clock (a replayed capture)


def verify_webhook(secret, headers, body, now=None):
    """True when `body` (bytes, as received) was signed by the single window with the subscription's `secret`:
    Sw-Webhook-Signature is v1=<hex HMAC-SHA256 of "<Sw-Webhook-Timestamp>.<body>">, the timestamp within 5
    minutes of `now`. Compare in constant time; drop an Sw-Webhook-Id already handled (a retry or a replay)."""
    timestamp = _header(headers, "Sw-Webhook-Timestamp") or ""
    signature = _header(headers, "Sw-Webhook-Signature") or ""
    if not timestamp.isdigit() or abs((time.time() if now is None else now) - int(timestamp)) > TOLERANCE:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    given = [part[3:] for part in signature.split(",") if part.strip().startswith("v1=")]
    return any(hmac.compare_digest(expected, candidate.strip()) for candidate in given)


def run(api, *, uscc, approve=None, out=print):
    me = api.call("GET", "/api/v1/me")
    out(f"令牌 {me['prefix']}… 属于 {me['organisation']['name']}（{me['organisation']['role']}）")
    schemes = list(api.pages("/api/v1/schemes"))
    scheme = max(schemes, key=lambda s: (s["year"], s["id"]))
    issued = None
    try:
        issued = api.call("POST", "/api/v1/policies", {"scheme_id": scheme["id"], "uscc": uscc})
        out(f"已出单 {issued['number']}（{issued['status_label']}），等待企业确认投保")
    except Problem as problem:
        out(f"未出单：{problem.problem.get('detail')}（{problem.code}）")
    if approve is None:
        waiting = next(iter(api.pages("/api/v1/policies", status="confirmed")), None)
        if waiting is None:
            out("没有审批中的保单")
            return issued, None
        approve = waiting["id"]
    approved = api.call("POST", f"/api/v1/policies/{approve}/approve")
    out(f"已审批通过 {approved['number']}：保险责任 {approved['cover_start']} 至 {approved['cover_end']}（含当日）")
    return issued, approved


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default=os.environ.get("SW_API_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--token", default=os.environ.get("SW_API_TOKEN", ""))
    parser.add_argument("--uscc", required=True, help="被保险企业的统一社会信用代码")
    parser.add_argument("--approve", type=int, help="要审批通过的保单 id（默认：第一份审批中的保单）")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("请用 --token 或环境变量 SW_API_TOKEN 提供接口令牌（swk_…）")
    try:
        run(SingleWindow(urllib_send(args.base_url), args.token), uscc=args.uscc, approve=args.approve)
    except Problem as problem:
        print(f"接口拒绝：{problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
