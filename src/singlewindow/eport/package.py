"""The 客户端控件 as a wheel, built from the repository's cardagent/ (pure Python, so a zip with metadata).

Built in memory on first request and kept while the sources are unchanged; the same sources always give the
same bytes (fixed timestamps, sorted entries), so the download is reproducible.
"""
import base64
import hashlib
import io
import re
import tomllib
import zipfile
from pathlib import Path

from django.conf import settings

_built = {}
EPOCH = (2020, 1, 1, 0, 0, 0)


def _source():
    return Path(settings.EPORT_AGENT_SOURCE)


def _project():
    return tomllib.loads((_source() / "pyproject.toml").read_text())["project"]


def _files():
    package = _source() / "src" / "cardagent"
    return sorted(p for p in package.rglob("*.py") if "__pycache__" not in p.parts)


def wheel_name():
    project = _project()
    return f"{re.sub(r'[-_.]+', '_', project['name'])}-{project['version']}-py3-none-any.whl"


def _metadata(project):
    lines = ["Metadata-Version: 2.1", f"Name: {project['name']}", f"Version: {project['version']}",
             f"Summary: {project['description']}", f"Requires-Python: {project['requires-python']}"]
    lines += [f"Requires-Dist: {dependency}" for dependency in project.get("dependencies", [])]
    readme = _source() / "README.md"
    body = readme.read_text() if readme.exists() else ""
    return "\n".join(lines) + "\nDescription-Content-Type: text/markdown\n\n" + body


def _record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel():
    """(filename, bytes) of the agent's wheel."""
    files = _files()
    key = (wheel_name(), tuple((str(p), p.stat().st_mtime_ns) for p in files),
           (_source() / "pyproject.toml").stat().st_mtime_ns)
    if key in _built:
        return _built[key]
    project = _project()
    dist_info = f"{wheel_name().split('-py3-')[0]}.dist-info"
    entries = [(f"cardagent/{p.relative_to(_source() / 'src' / 'cardagent').as_posix()}", p.read_bytes())
               for p in files]
    scripts = project.get("scripts", {})
    entries += [
        (f"{dist_info}/METADATA", _metadata(project).encode()),
        (f"{dist_info}/WHEEL", (b"Wheel-Version: 1.0\nGenerator: singlewindow.eport.package\n"
                                b"Root-Is-Purelib: true\nTag: py3-none-any\n")),
        (f"{dist_info}/entry_points.txt",
         ("[console_scripts]\n" + "".join(f"{k} = {v}\n" for k, v in scripts.items())).encode()),
    ]
    record = "\n".join(_record_line(name, data) for name, data in entries) + f"\n{dist_info}/RECORD,,\n"
    entries.append((f"{dist_info}/RECORD", record.encode()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    _built.clear()
    _built[key] = (wheel_name(), buffer.getvalue())
    return _built[key]
