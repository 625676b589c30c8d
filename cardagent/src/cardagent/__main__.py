"""`cardagent --card FILE`: run the 客户端控件 until Ctrl+C.

Options may also come from the environment: CARDAGENT_CARD, CARDAGENT_PORT, CARDAGENT_ORIGINS (comma-separated).
"""
import argparse
import asyncio
import logging
import os
import sys

from . import __version__
from .card import Card, CardError
from .server import DEFAULT_ORIGINS, DEFAULT_PORT, HOST, AgentServer


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="cardagent", description="单一窗口客户端控件：在本机 127.0.0.1 上为单一窗口网页提供电子口岸卡的读卡和签名。",
    )
    parser.add_argument("--card", default=os.environ.get("CARDAGENT_CARD"),
                        help="卡文件路径（发卡机构签发的 .card 文件）")
    parser.add_argument("--port", type=int, default=int(os.environ.get("CARDAGENT_PORT", DEFAULT_PORT)),
                        help=f"本机端口，默认 {DEFAULT_PORT}；0 表示任选一个空闲端口")
    env_origins = [o.strip() for o in os.environ.get("CARDAGENT_ORIGINS", "").split(",") if o.strip()]
    parser.add_argument("--allow-origin", action="append", dest="origins", metavar="ORIGIN",
                        help="允许使用本卡的单一窗口网址（可重复），默认 " + "、".join(DEFAULT_ORIGINS))
    parser.add_argument("--allow-no-origin", action="store_true",
                        help="也接受不带 Origin 的连接（本机的非浏览器程序）")
    parser.add_argument("--version", action="version", version=f"cardagent {__version__}")
    args = parser.parse_args(argv)
    args.origins = args.origins or env_origins or list(DEFAULT_ORIGINS)
    if not args.card:
        parser.error("请用 --card 指定卡文件（或设置环境变量 CARDAGENT_CARD）")
    return args


async def run(args):
    server = await AgentServer(args.card, port=args.port, origins=args.origins,
                               allow_no_origin=args.allow_no_origin).start()
    # The first line on stdout says where we listen (a test or a launcher reads it).
    print(f"cardagent listening on ws://{HOST}:{server.port}", flush=True)
    print(f"allowed origins: {' '.join(sorted(server.origins))}", flush=True)
    await server.serve_forever()


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s",
                        stream=sys.stderr)
    try:
        info = Card(args.card).info()
        logging.getLogger("cardagent").info("card %s (%s) of %s", info["card_no"], info["holder"], info["uscc"])
    except CardError as error:
        logging.getLogger("cardagent").warning("%s (%s)", error.message, error.code)
    try:
        asyncio.run(run(args))
    except KeyboardInterrupt:
        pass
    except OSError as error:
        print(f"客户端控件无法在 {HOST}:{args.port} 上启动：{error}（端口可能已被另一个控件占用）", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
