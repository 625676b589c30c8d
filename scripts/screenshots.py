#!/usr/bin/env python
"""Make the README screenshots (docs/screenshots/*.png, 1280×900, and two at 390×844) from a fresh demo database.

    .venv/bin/python scripts/screenshots.py [--enterprises 30] [--out docs/screenshots]

It builds a throw-away SQLite database in --var (SW_VAR_DIR for the server; default /tmp/shots-var) with `migrate` and
`load_demo`, starts `manage.py runserver --noreload` (DEBUG=1) on a free loopback port and a `db_worker`, walks the pages in
Debian's chromium through Playwright as the demo users, and stops the server. Nothing of the project's own
var/ is touched.
"""
import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env, *args):
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def wait_until_up(url, server, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"runserver exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/login/", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"runserver did not answer at {url} within {seconds} s")


def field(scope, label):
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))


def login(page, url, username, password):
    page.goto(f"{url}/login/")
    page.get_by_role("tab", name="账号密码").click()
    field(page, "用户名").fill(username)
    field(page, "密码").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).not_to_have_url(re.compile(r"/login/"))  # logged in (退出 sits behind 菜单 on a phone)


def shoot(page, path, *, full_page=False):
    page.mouse.move(0, 0)  # no hover highlight in the picture
    page.screenshot(path=str(path), full_page=full_page)
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def take(url, out):
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        # bypass_csp: wait_for_function evaluates a string, which the site's Content-Security-Policy refuses
        options = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai", "viewport": VIEWPORT, "bypass_csp": True}

        page = browser.new_context(**options).new_page()
        page.goto(f"{url}/login/")
        expect(page.get_by_role("heading", name="用户登录")).to_be_visible()
        shoot(page, out / "login.png")

        # The notice's path: 地方特色应用 → 金融服务 → 出口信用 → 小微企业在线投保, 账号绑定 on first entry.
        login(page, url, "demo", "Demo@2020")
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="地方特色应用").click()
        page.get_by_role("tab", name="金融服务").click()
        page.get_by_role("button", name="出口信用").click()
        page.get_by_role("link", name="小微企业在线投保", exact=True).click()
        bind = page.get_by_role("region", name="账号绑定")
        field(bind, "本地账号").fill("swdemo")
        field(bind, "本地账号密码").fill("Local@2020")
        bind.get_by_role("button", name="账号绑定").click()
        expect(page.get_by_role("heading", name="小微企业在线投保系统")).to_be_visible()
        page.goto(f"{url}/insure/")  # the list as it is on any later visit, without the one-off message
        expect(page.get_by_role("region", name="通知")).to_be_visible()
        shoot(page, out / "list.png")

        page.get_by_role("link", name="查看详情").first.click()
        field(page, "联系人").fill("李锐")
        field(page, "联系电话").fill("13729230657")
        page.get_by_role("checkbox", name=re.compile("^已认真阅读以上内容并同意")).click()
        dialog = page.get_by_role("dialog", name="中国出口信用保险公司客户网上服务协议")
        expect(dialog).to_be_visible()
        page.wait_for_function("getComputedStyle(document.querySelector('.modal.show')).opacity === '1'")
        page.wait_for_function("getComputedStyle(document.querySelector('.modal-backdrop.show')).opacity === '0.5'")
        shoot(page, out / "agreement.png")


        # The same enterprise on a 390 px phone: the list as cards, then 放弃投保's page of its own.
        phone = browser.new_context(**{**options, "viewport": PHONE, "is_mobile": True, "has_touch": True}).new_page()
        login(phone, url, "demo", "Demo@2020")
        phone.goto(f"{url}/insure/")
        expect(phone.get_by_role("heading", name="小微企业在线投保系统")).to_be_visible()
        shoot(phone, out / "phone-list.png")
        phone.get_by_role("link", name="查看详情").first.click()
        phone.get_by_role("link", name="放弃投保").click()
        expect(phone.get_by_role("heading", name="放弃投保")).to_be_visible()
        shoot(phone, out / "phone-decline.png")

        # 确认投保, then the 确认回执 the enterprise may print or keep.
        dialog.get_by_role("button", name="已认真阅读以上内容并同意").click()
        expect(dialog).to_be_hidden()
        page.get_by_role("button", name="确认投保").click()
        expect(page.get_by_role("heading", name="确认投保已提交")).to_be_visible()
        page.get_by_role("link", name="查看并打印确认回执").click()
        expect(page.get_by_role("heading", name="出口信用保险投保确认回执")).to_be_visible()
        shoot(page, out / "receipt.png")

        insurer = browser.new_context(**options).new_page()
        login(insurer, url, "insurer", "Insurer@2020")
        expect(insurer.get_by_role("heading", name="保单审批")).to_be_visible()
        expect(insurer.get_by_role("checkbox", name="全选")).to_be_visible()
        shoot(insurer, out / "workbench.png")

        # The 汕尾市 bureau loads a customs export list (the worker runs it) and sees who is eligible.
        bureau = browser.new_context(**options).new_page()
        login(bureau, url, "bureau", "Bureau@2020")
        bureau.get_by_role("navigation", name="主导航").get_by_role("link", name="数据导入").click()
        bureau.get_by_label("出口数据文件（CSV 或 XLSX）").set_input_files(str(customs_file(Path(tempfile.mkdtemp(prefix="shots-")))))
        bureau.get_by_role("button", name="上传并导入").click()
        expect(bureau.get_by_role("progressbar", name="导入进度")).to_have_attribute("aria-valuenow", "100",
                                                                                timeout=60_000)
        shoot(bureau, out / "import.png")
        bureau.get_by_role("link", name="查看符合条件企业").click()
        expect(bureau.get_by_role("heading", name="符合条件企业")).to_be_visible()
        shoot(bureau, out / "eligible.png")
        bureau.get_by_role("navigation", name="主导航").get_by_role("link", name="统计分析").click()
        expect(bureau.get_by_role("img", name=re.compile("各县区参保率与确认率"))).to_be_visible()
        bureau.wait_for_timeout(1000)  # the charts' drawing animation
        shoot(bureau, out / "dashboard.png")

        claims(browser, options, url, out)
        browser.close()


def claims(browser, options, url, out):
    """报损与索赔: the exporter's claim the insurer asked more of (需要您补充的材料), answered; the insurer's review of
    it with the 核赔 试算 at a stated rate; and the exporter's 风险预警 (load_demo publishes the demo's alerts)."""
    exporter = browser.new_context(**options).new_page()
    login(exporter, url, "exporter", "Demo@2020")
    exporter.get_by_role("navigation", name="主导航").get_by_role("link", name="报损与索赔").click()
    exporter.get_by_test_id("claim-row").filter(has_text="待补充材料").get_by_role("link", name=re.compile("^查看详情")).click()
    asked = exporter.get_by_role("region", name="需要您补充的材料")
    expect(asked).to_be_visible()
    shoot(exporter, out / "claim.png", full_page=True)

    # 提交补充材料 (a word for each item), so the insurer may decide: the review then offers 核赔 and its 试算.
    for reply in asked.get_by_role("textbox").all():
        reply.fill("原件已寄出，快递单号 SF1234567890，扫描件随后上传。")
    asked.get_by_role("button", name="提交补充材料").click()
    expect(exporter.get_by_text("补充材料已提交，保险公司将继续审核。")).to_be_visible()
    number = exporter.get_by_role("heading", name=re.compile(r"^索赔 ")).inner_text().split()[-1]

    insurer = browser.new_context(**options).new_page()
    login(insurer, url, "insurer", "Insurer@2020")
    insurer.get_by_role("navigation", name="主导航").get_by_role("link", name="理赔审核").click()
    insurer.get_by_role("link", name=re.compile(r"^索赔 \d+$")).click()
    insurer.get_by_role("link", name=number, exact=True).click()
    approve = insurer.get_by_role("region", name="核赔")
    approve.get_by_label(re.compile(r"^汇率（1 \w+ 折合美元）")).fill("1.0850")
    approve.get_by_role("button", name="试算").click()
    expect(insurer.get_by_test_id("preview")).to_be_visible()
    shoot(insurer, out / "claim-review.png", full_page=True)

    exporter.goto(f"{url}/alerts/")
    expect(exporter.get_by_role("heading", name="风险预警").first).to_be_visible()
    shoot(exporter, out / "alerts.png")


def customs_file(folder):
    """A small customs export list of the 汕尾市 counties: most under USD 3,000,000, some over, one at it."""
    import csv
    import datetime
    import random

    sys.path.insert(0, str(ROOT / "src"))
    from singlewindow.enterprises.identifiers import make_uscc

    folder.mkdir(parents=True, exist_ok=True)
    year = datetime.date.today().year - 1  # the open demo scheme's basis year
    path = folder / f"{year}年汕尾市海关出口数据.csv"
    rng = random.Random(2025)
    counties = ["441502", "441521", "441523", "441581"]
    trades = ["电子", "服饰", "水产", "五金", "珠宝", "工艺品"]
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["统一社会信用代码", "企业名称", "县区代码", "年度", "出口额（美元）"])
        for n in range(60):
            county = counties[n % len(counties)]
            usd = "3000000.00" if n == 7 else f"{rng.randrange(5_000_00, 4_500_000_00) / 100:.2f}"
            writer.writerow([make_uscc("91", county, f"{72_000_000 + n:08d}"),
                             f"汕尾{rng.choice(trades)}{n:03d}有限公司", county, year, usd])
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--enterprises", type=int, default=30, help="extra demo enterprises (default 30)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--var", type=Path, default=Path("/tmp/shots-var"), help="where the throw-away database goes")
    args = parser.parse_args()

    var = args.var
    var.mkdir(parents=True, exist_ok=True)
    for old in var.glob("singlewindow.sqlite3*"):  # a fresh demo database every time
        old.unlink()
    env = {**os.environ, "SW_VAR_DIR": str(var), "DEBUG": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    for name in ("DATABASE_URL", "SW_TESTING", "SECRET_KEY"):
        env.pop(name, None)
    manage(env, "migrate", "--noinput")
    manage(env, "load_demo", f"--enterprises={args.enterprises}", "--quiet-logins")

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(var / "runserver.log", "w") as log:
        server = subprocess.Popen([PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        worker = subprocess.Popen([PYTHON, "manage.py", "db_worker", "--queue-name", "*"],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_up(url, server)
            args.out.mkdir(parents=True, exist_ok=True)
            take(url, args.out)
        finally:
            for process in (server, worker):
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


if __name__ == "__main__":
    main()
