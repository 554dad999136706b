"""Test certificates made with the ``openssl`` command-line tool (present on Debian, on this
machine and in CI): a private CA and a server certificate it signed for 127.0.0.1 and
localhost. Both have the extensions Python's strict verification (3.13+) insists on."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

CA_CNF = """\
[req]
distinguished_name = dn
x509_extensions = v3_ca
prompt = no
[dn]
CN = flowtui test CA
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""
CSR_CNF = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = 127.0.0.1
"""
LEAF_EXT = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


@dataclass(frozen=True)
class Certs:
    ca: Path  #: the CA certificate (what a ca_bundle points at)
    cert: Path  #: the server certificate
    key: Path  #: its private key


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_certs(where: Path) -> Certs:
    """A CA and a server certificate for 127.0.0.1 under ``where``."""
    assert shutil.which("openssl"), "the openssl command is needed for the TLS tests"
    where.mkdir(parents=True, exist_ok=True)
    (where / "ca.cnf").write_text(CA_CNF)
    (where / "csr.cnf").write_text(CSR_CNF)
    (where / "leaf.ext").write_text(LEAF_EXT)
    key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl("req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-config", "ca.cnf", cwd=where)  # fmt: skip
    _openssl("req", "-new", *key, "-keyout", "server.key", "-out", "server.csr",
             "-config", "csr.cnf", cwd=where)  # fmt: skip
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "leaf.ext",
             cwd=where)  # fmt: skip
    return Certs(where / "ca.pem", where / "server.pem", where / "server.key")
