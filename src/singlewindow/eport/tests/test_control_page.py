"""客户端控件下载: the agent as a wheel built from the repository, how to install and start it, the error codes."""
import io
import subprocess
import sys
import zipfile

from singlewindow.eport import package
from singlewindow.eport.package import build_wheel
from singlewindow.eport.services import CODES
from singlewindow.policies.tests.conftest import page_text


def test_the_page_says_how_to_install_start_and_restart_the_control_and_explains_every_code(client, db):
    response = client.get("/control/")
    text = page_text(response)
    name, _ = build_wheel()
    assert response.status_code == 200
    for words in ["客户端控件下载", f"pip install {name}", "cardagent --card", "重新启动", "127.0.0.1", "错误代码说明"]:
        assert words in text
    html = response.content.decode()
    for code in CODES:
        assert f'id="code-{code}"' in html
    assert f'href="/eport/control/{name}"' in html


def test_the_download_is_a_wheel_of_the_agent_that_installs_and_runs(client, db, tmp_path):
    name, _ = build_wheel()
    response = client.get(f"/eport/control/{name}")
    assert response.status_code == 200 and response["Content-Disposition"] == f'attachment; filename="{name}"'
    wheel = tmp_path / name
    wheel.write_bytes(response.content)
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = archive.namelist()
    assert "cardagent/server.py" in names and any(n.endswith(".dist-info/entry_points.txt") for n in names)
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", str(target),
                    str(wheel)], check=True, capture_output=True)
    version = subprocess.run([sys.executable, "-m", "cardagent", "--version"], cwd=tmp_path, capture_output=True,
                             text=True, env={"PYTHONPATH": str(target)}, check=True)
    assert version.stdout.strip() == "cardagent 0.1.0"
    assert (target / "cardagent" / "card.py").exists()


def test_any_other_file_name_is_not_found(client, db):
    assert client.get("/eport/control/cardagent.exe").status_code == 404


def test_the_same_sources_give_the_same_wheel(db):
    first = build_wheel()[1]
    package._built.clear()
    assert build_wheel()[1] == first


def test_the_demo_prints_the_control_command_for_the_port_in_use(monkeypatch, tmp_path):
    """make run: the venv's own cardagent, allowing the demo's origin on $PORT (not only the default 8000)."""
    import sys
    from pathlib import Path

    from singlewindow.eport.demo import agent_command

    monkeypatch.setenv("PORT", "8123")
    command = agent_command(tmp_path / "demo-legal.card")
    program = command.split(" ", 1)[0]
    assert Path(program).name == "cardagent" and Path(program).resolve().parent == Path(sys.executable).parent.resolve()
    assert "--allow-origin http://127.0.0.1:8123" in command and "--allow-origin http://localhost:8123" in command
    assert f"--card {tmp_path / 'demo-legal.card'}" in command
