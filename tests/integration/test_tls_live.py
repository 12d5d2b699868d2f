"""HTTPS in front of the real Redmine with a certificate from the test's own CA: a refused
certificate is named as such with how to trust it, never retried; ``redmine.ca_bundle``
trusts it; ``redmine.verify_tls: false`` works and is warned about on every run."""

from __future__ import annotations

import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration import faultproxy as fp
from tests.integration.conftest import Admin
from tests.integration.conftest import cli_env
from tests.integration.conftest import write_config

pytestmark = pytest.mark.integration


def make_ca(folder: Path) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate, server key) for 127.0.0.1, made with openssl."""
    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
        "/CN=redmine-sync test CA", "-keyout", "ca.key", "-out", "ca.pem")
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout",
        "server.key", "-out", "server.csr")
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.pem")
    return folder / "ca.pem", folder / "server.pem", folder / "server.key"


def run_cli(env: dict[str, str], config: Path, url: str, *args: str
            ) -> tuple[subprocess.CompletedProcess[str], float]:
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "redmine_sync", "--config", str(config), *args],
                          capture_output=True, text=True, check=False, timeout=120,
                          env={**cli_env(env), "REDMINE_URL": url})
    return done, time.monotonic() - began


def test_a_certificate_is_named_trusted_with_ca_bundle_or_unchecked_with_a_warning(
        admin: Admin, local_redmine: dict[str, str], tmp_path: Path) -> None:
    project = admin.new_demo_project("tls", seed=False)
    ca, cert, key = make_ca(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    config = write_config(tmp_path, project)
    base = config.read_text(encoding="utf-8")
    with fp.FaultProxy(local_redmine["REDMINE_URL"], rate=0.0, seed=fp.SEED,
                       tls=context) as proxy:
        refused, took = run_cli(local_redmine, config, proxy.url, "issues")
        doctor, _ = run_cli(local_redmine, config, proxy.url, "doctor")
        config.write_text(base.replace("redmine:\n", f"redmine:\n  ca_bundle: {ca}\n", 1))
        trusted, _ = run_cli(local_redmine, config, proxy.url, "issues")
        config.write_text(base.replace("redmine:\n", "redmine:\n  verify_tls: false\n", 1))
        unchecked, _ = run_cli(local_redmine, config, proxy.url, "issues")
    assert refused.returncode == 4, refused.stderr
    assert "its certificate is not trusted" in refused.stderr
    assert "redmine.ca_bundle" in refused.stderr and "update-ca-certificates" in refused.stderr
    assert "retry" not in refused.stderr and took < 10  # named at once, not retried for 14 s
    assert "Traceback" not in refused.stderr
    assert doctor.returncode == 1 and "certificate is not trusted" in doctor.stdout
    assert trusted.returncode == 0, trusted.stderr
    assert unchecked.returncode == 0, unchecked.stderr
    assert "TLS certificates are NOT checked" in unchecked.stderr
