"""`qirrt dashboard --tls-cert/--tls-key`: HTTPS (a self-signed certificate made here), the login cookie Secure."""

from __future__ import annotations

import datetime
import ipaddress
import ssl

import pytest

httpx = pytest.importorskip("httpx", reason="needs httpx: pip install 'qirrt[test]'")
pytest.importorskip("fastapi", reason="needs the dashboard extra: pip install 'qirrt[dashboard]'")
x509 = pytest.importorskip("cryptography.x509", reason="needs cryptography to make a test certificate")


def _self_signed(tmp_path):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_https_with_a_certificate(tmp_path, spawn, free_port, tokens):
    cert, key = _self_signed(tmp_path)
    port = free_port()
    line = spawn(["dashboard", "--store", str(tmp_path / "broker.db"), "--insecure-loopback", "--tokens",
                  str(tokens[0]), "--bind", f"127.0.0.1:{port}", "--tls-cert", str(cert), "--tls-key", str(key)],
                 "qirrt dashboard on")
    assert f"https://127.0.0.1:{port}" in line
    with httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=ssl.create_default_context(cafile=str(cert)), timeout=30) as https:
        who = https.get("/api/v1/whoami", headers={"Authorization": f"Bearer {tokens[1]['ops']}"})
        assert who.json() == {"user": "ops", "operator": True}
        login = https.post("/login", content=f"token={tokens[1]['ops']}",
                           headers={"content-type": "application/x-www-form-urlencoded"})
        assert login.status_code == 303 and "secure" in login.headers["set-cookie"].lower()
        # no broker store yet: the API says so, as a 503 with a JSON error, not a crash
        jobs = https.get("/api/v1/jobs", headers={"Authorization": f"Bearer {tokens[1]['ops']}"})
        assert jobs.status_code == 503 and "no broker store" in jobs.json()["error"]
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/api/v1/whoami", timeout=5)  # plain HTTP is not served
