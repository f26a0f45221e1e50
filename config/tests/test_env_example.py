import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV_READ = re.compile(r"env\.(?:str|bool|int|float|list|db_url|email_url)\(\s*\"([A-Z0-9_]+)\"")


def test_env_example_documents_every_variable_the_settings_read():
    read = set()
    for path in [*(ROOT / "config").rglob("*.py")]:
        read.update(ENV_READ.findall(path.read_text()))
    # A commented-out "# NAME=" line documents a variable that is usually left unset.
    text = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^(?:#\s*)?([A-Z0-9_]+)=", text, re.M))
    assert read, "no environment reads found; the pattern is out of date"
    assert read - documented == set()
