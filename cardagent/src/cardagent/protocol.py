"""The e-port client control's JSON protocol, as our portal and clients written for the real control speak it.

- on connect the agent sends a frame whose `_method` is `open`;
- a request is `{"_method": "cus-sec_<Name>", "_id": n, "args": {...}}`;
- a reply is `{"_id": n, "_method": "cus-sec_<Name>", "_status": "00",
  "_args": {"Result": true|false, "Data": [...], "Error": [message, code]}}`.

A bad frame, an unknown method, a wrong PIN or a locked card answers `Result: false` with a Chinese message
and a code; nothing a page sends makes the agent stop. PINs are never logged nor echoed.
"""
import json
import logging
import threading

from . import __version__
from .card import Card, CardError

log = logging.getLogger("cardagent")
PREFIX = "cus-sec_"
MAX_DATA = 32 * 1024  # characters of data to sign in one request


class Refused(CardError):
    pass


class BadRequest(Refused):
    code = "1005"
    message = "请求格式错误：应为 JSON 对象，含 _method、_id 和 args。"


class UnknownMethod(Refused):
    code = "1004"


class MissingArgument(Refused):
    code = "1006"


def reply(request_id, method, ok, data=(), error=None):
    return {
        "_id": request_id,
        "_method": method,
        "_status": "00",
        "_args": {"Result": bool(ok), "Data": list(data), "Error": list(error or [])},
    }


def open_frame():
    return {"_method": "open", "_status": "00",
            "_args": {"Result": True, "Data": [f"单一窗口客户端控件 {__version__}"], "Error": []}}


def _text(args, name, label, limit=None):
    value = args.get(name)
    if not isinstance(value, str) or not value:
        raise MissingArgument(f"缺少参数 {name}（{label}）。")
    if limit and len(value) > limit:
        raise MissingArgument(f"参数 {name} 过长（最多 {limit} 个字符）。")
    return value


class Agent:
    """Answers requests about one card. Thread-safe: one request at a time touches the card."""

    def __init__(self, card_path):
        self.card = Card(card_path)
        self._lock = threading.Lock()
        self.methods = {
            "SpcGetCardID": lambda args: [self.card.info()["card_no"]],
            "SpcGetEntID": lambda args: [self.card.info()["uscc"]],
            "SpcGetEntName": lambda args: [self.card.info()["ent_name"]],
            "SpcGetUName": lambda args: [self.card.info()["holder"]],
            "SpcGetCardType": lambda args: [self.card.info()["kind"]],
            "SpcGetSignCertAsPEM": lambda args: [self.card.info()["certificate"]],
            "SpcGetAlgorithm": lambda args: [self.card.info()["algorithm"]],
            "SpcVerifyPIN": self._verify_pin,
            "SpcSignDataAsPEM": self._sign,
        }

    def _verify_pin(self, args):
        self.card.verify_pin(_text(args, "passwd", "卡密码"))
        return []

    def _sign(self, args):
        data = _text(args, "inData", "待签名数据", MAX_DATA)
        pin = _text(args, "passwd", "卡密码")
        return [self.card.sign(data.encode("utf-8"), pin)]

    def handle(self, frame):
        """One text frame in, one reply (a dict) out. Never raises."""
        request_id, method = None, None
        try:
            try:
                request = json.loads(frame)
            except (TypeError, ValueError):
                raise BadRequest() from None
            if not isinstance(request, dict):
                raise BadRequest()
            request_id, method = request.get("_id"), request.get("_method")
            if not isinstance(request_id, (int, str, type(None))) or isinstance(request_id, bool):
                request_id = None
            args = request.get("args", {})
            args = {} if args is None else args
            if not isinstance(method, str) or not isinstance(args, dict):
                raise BadRequest()
            name = method[len(PREFIX):] if method.startswith(PREFIX) else None
            handler = self.methods.get(name)
            if handler is None:
                raise UnknownMethod(f"不支持的方法：{method[:60]}")
            with self._lock:
                data = handler(args)
            log.info("%s: ok", method)
            return reply(request_id, method, True, data)
        except CardError as error:
            log.info("%s: refused %s", method, error.code)
            return reply(request_id, method if isinstance(method, str) else None, False,
                         error=[error.message, error.code])
        except Exception:  # a broken card file must not stop the agent
            log.exception("%s: internal error", method)
            return reply(request_id, method if isinstance(method, str) else None, False,
                         error=["客户端控件内部错误，请重启客户端控件。", "1099"])
