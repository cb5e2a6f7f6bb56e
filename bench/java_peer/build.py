"""Build the Java JAX-WS RI peer of bench/java_peer/run.py (not a test module).

From a running ``riv-scheduling serve`` (``base_url``):

1. the GetAvailableTimeslots 2.0 WSDL (``/GetAvailableTimeslots/2/rivtabp21?wsdl``) and the schemas it
   imports (served under ``/schemas/...``) are saved under ``build/metadata/``, the WSDL's absolute
   ``schemaLocation`` URLs made relative, so the peer serves and validates against these files
   without our producer running;
2. ``wsimport -keep -Xnocompile`` generates the JAXB types and the service endpoint interface from the
   served WSDL into ``build/generated/`` (not committed; build/ is git-ignored);
3. ``javac`` compiles them with ``src/javapeer/*.java`` into ``build/classes/`` against Debian's jars in
   /usr/share/java (packages jaxws and libjaxws-java) and nothing else.

Steps 2-3 are skipped when the saved WSDL, schemas and Java sources are those of the last build.

    .venv/bin/python bench/java_peer/build.py BASE_URL     # e.g. http://127.0.0.1:8080
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
BUILD = HERE / "build"
JAVA_DIR = Path("/usr/share/java")
WSDL_PATH = "/GetAvailableTimeslots/2/rivtabp21"
XSD = "http://www.w3.org/2001/XMLSchema"
INSTALL = "apt-get install jaxws libjaxws-java wrk (and a JDK: apt-get install openjdk-17-jdk-headless)"

# Debian's jars (/usr/share/java) on the compile and run class paths: the APIs (JAX-WS, JAXB, JWS,
# SAAJ, activation, javax.annotation), the JAX-WS RI runtime and what it loads to publish an
# endpoint, (un)marshal and validate. jaxws-rt.jar's manifest names most of these itself; listing
# them makes a missing one an error here rather than a NoClassDefFoundError under load.
JARS = [
    "jaxws-api.jar", "jws-api.jar", "jaxb-api.jar", "javax.xml.soap-api.jar", "javax.activation.jar",
    "geronimo-annotation-1.3-spec.jar",
    "jaxws-rt.jar", "jaxb-runtime.jar", "jaxb-core.jar", "txw2.jar", "istack-commons-runtime.jar",
    "saaj-impl.jar", "stax-ex.jar", "streambuffer.jar", "mimepull.jar", "metro-policy.jar",
    "gmbal.jar", "glassfish-management-api.jar", "glassfish-pfl-basic.jar", "glassfish-pfl-tf.jar",
    "FastInfoset.jar", "woodstox-core.jar", "stax2-api.jar", "xml-resolver.jar",
]


def missing_tools(java: bool = True) -> list[str]:
    """What the peer (``java``) and the load (wrk) need and this machine lacks, in words."""
    missing = []
    if java:
        missing += [f"{tool} (not on PATH)" for tool in ("java", "javac", "wsimport") if shutil.which(tool) is None]
        missing += [f"{JAVA_DIR / jar}" for jar in JARS if not (JAVA_DIR / jar).exists()]
    if shutil.which("wrk") is None:
        missing.append("wrk (not on PATH)")
    return missing


def classpath(*extra: Path) -> str:
    return ":".join([*(str(p) for p in extra), *(str(JAVA_DIR / jar) for jar in JARS)])


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        data: bytes = response.read()
        return data


def save_metadata(base_url: str, dest: Path) -> Path:
    """The served WSDL and every schema it imports (transitively) under ``dest``; returns the WSDL's path.

    Schemas keep their served paths (``dest/schemas/...``), so their own relative imports still resolve;
    the WSDL's absolute schemaLocations become relative to it."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    wsdl_file = dest / "GetAvailableTimeslotsInteraction_2.0_RIVTABP21.wsdl"
    todo = [(f"{base_url}{WSDL_PATH}?wsdl", wsdl_file)]
    done: set[str] = set()
    while todo:
        url, path = todo.pop()
        if url in done:
            continue
        done.add(url)
        doc = etree.fromstring(fetch(url))
        for imp in doc.iter(f"{{{XSD}}}import", f"{{{XSD}}}include"):
            location = imp.get("schemaLocation")
            if not location:
                continue
            target = urllib.parse.urljoin(url, location)
            if not target.startswith(f"{base_url}/schemas/"):
                raise RuntimeError(f"{url} imports {target}, outside the producer's /schemas/")
            local = dest / target[len(base_url) + 1:]
            local.parent.mkdir(parents=True, exist_ok=True)
            imp.set("schemaLocation", Path(_relative(local, path.parent)).as_posix())
            todo.append((target, local))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(etree.tostring(doc, xml_declaration=True, encoding="UTF-8"))
    return wsdl_file


def _relative(path: Path, start: Path) -> str:
    import os

    return os.path.relpath(path, start)


def _digest(metadata: Path, base_url: str) -> str:
    h = hashlib.sha256()
    for path in sorted([*metadata.rglob("*"), *SRC.rglob("*.java")]):
        if path.is_file():
            h.update(str(path.relative_to(HERE)).encode())
            h.update(path.read_bytes().replace(base_url.encode(), b"BASE"))
    h.update(" ".join(JARS).encode())
    return h.hexdigest()


@dataclass
class Built:
    classes: Path
    metadata: Path
    rebuilt: bool

    def command(self, port: int, answer: Path, validate: bool, threads: int | None,
                java_opts: list[str]) -> list[str]:
        cmd = ["java", *java_opts, "-cp", classpath(self.classes), "javapeer.Main", "--port", str(port),
               "--answer", str(answer), "--metadata", str(self.metadata)]
        if validate:
            cmd.append("--validate")
        if threads:
            cmd += ["--threads", str(threads)]
        return cmd


def build(base_url: str, log: bool = True) -> Built:
    """Save the metadata, then wsimport and javac unless the last build had the same inputs."""
    BUILD.mkdir(exist_ok=True)
    metadata = BUILD / "metadata"
    save_metadata(base_url, metadata)
    classes = BUILD / "classes"
    stamp = BUILD / "stamp"
    digest = _digest(metadata, base_url)
    if stamp.exists() and stamp.read_text() == digest and (classes / "javapeer" / "Main.class").exists():
        if log:
            print("java peer: up to date (build/)", flush=True)
        return Built(classes, metadata, rebuilt=False)
    generated = BUILD / "generated"
    for d in (generated, classes):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir()
    stamp.unlink(missing_ok=True)
    if log:
        print(f"java peer: wsimport {base_url}{WSDL_PATH}?wsdl", flush=True)
    _run(["wsimport", "-keep", "-Xnocompile", "-quiet", "-s", str(generated), "-d", str(generated),
          f"{base_url}{WSDL_PATH}?wsdl"])
    sources = sorted(str(p) for p in [*generated.rglob("*.java"), *SRC.rglob("*.java")])
    if log:
        print(f"java peer: javac {len(sources)} sources", flush=True)
    _run(["javac", "-nowarn", "-encoding", "UTF-8", "-d", str(classes), "-cp", classpath(), *sources])
    stamp.write_text(digest)
    return Built(classes, metadata, rebuilt=True)


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{cmd[0]} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    missing = missing_tools()
    if missing:
        print(f"cannot build the Java peer, missing: {', '.join(missing)}\n  install: {INSTALL}")
        return 1
    built = build(argv[0].rstrip("/"))
    print(f"classes in {built.classes}, WSDL and schemas in {built.metadata}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
