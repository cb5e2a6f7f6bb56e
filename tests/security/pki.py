"""A throw-away PKI made with the openssl command line: two CAs, a server and client certificates
whose subject serialNumber (2.5.4.5) carries an HSA-id, as in SITHS function certificates."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]


def have_openssl() -> bool:
    return shutil.which("openssl") is not None


def _run(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@dataclass(frozen=True)
class Pair:
    cert: Path
    key: Path

    @property
    def tuple(self) -> tuple[str, str]:
        return str(self.cert), str(self.key)


class CA:
    def __init__(self, folder: Path, name: str) -> None:
        self.folder = folder
        self.name = name
        self.cert = folder / f"{name}.pem"
        self.key = folder / f"{name}.key"
        _run("req", "-x509", *EC, "-keyout", self.key.name, "-out", self.cert.name, "-days", "2",
             "-subj", f"/O=Test/CN={name}",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-addext", "subjectKeyIdentifier=hash", cwd=folder)

    def issue(self, name: str, subject: str, server: bool = False) -> Pair:
        ext = self.folder / f"{name}.ext"
        lines = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment",
                 "subjectKeyIdentifier=hash", "authorityKeyIdentifier=keyid,issuer"]
        if server:
            lines += ["extendedKeyUsage=serverAuth", "subjectAltName=IP:127.0.0.1,DNS:localhost"]
        else:
            lines += ["extendedKeyUsage=clientAuth"]
        ext.write_text("\n".join(lines) + "\n")
        _run("req", *EC, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject, cwd=self.folder)
        _run("x509", "-req", "-in", f"{name}.csr", "-CA", self.cert.name, "-CAkey", self.key.name,
             "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", ext.name, cwd=self.folder)
        return Pair(self.folder / f"{name}.pem", self.folder / f"{name}.key")
