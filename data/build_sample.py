#!/usr/bin/env python3
"""Rebuild colorlib's small, openly licensed, real-photo sample from Debian's gcompris-qt-data.

What it does
------------
1. Gets the ``gcompris-qt-data`` Debian package (``apt-get download`` unless ``--deb`` is
   given) and unpacks it with ``dpkg-deb -x``.
2. Reads the Qt binary resource bundles ``usr/share/gcompris-qt/rcc/<activity>.rcc`` of a fixed
   allowlist of activities whose pictures are photographs, with a small built-in parser of the
   documented ``qres`` format (zlib-compressed entries are supported, zstd ones are refused with
   a clear message).
3. Works out each picture's licence.  Debian's machine-readable ``copyright`` file is parsed and
   matched with Debian's rules (``*`` and ``?`` globs on the source path, last matching stanza
   wins).  In gcompris-qt-data 3.1 that file is older than the pictures: its per-file stanzas
   name the former ``.jpg`` files, so a current ``.webp`` path only matches the catch-all
   ``Files: *`` stanza.  The upstream per-directory ``README`` credit files shipped in the same
   bundles (``Copyright:``/``License:``/``Source:``/``Files:`` blocks) name the exact ``.webp``
   files, so an exact entry there is preferred; the Debian stanza is used only when no such
   entry exists, and is always recorded in CREDITS.csv for comparison.  Only CC-BY, CC-BY-SA,
   CC0 and public-domain pictures are kept.
4. Keeps photographs only.  Primary filter: the activity allowlist (curated sets of Wikimedia
   Commons / publicdomainpictures photographs).  Safety net, on a box-downscaled copy whose
   short side is 256 px:
     * transparent   -- more than 1 % of pixels with alpha < 250 (cut-outs, clip-art, icons);
     * too_small     -- short side under 96 px;
     * near_grayscale-- fewer than 3 % of pixels with YCbCr chroma above 10 (useless for
       colorization);
     * few_colours   -- fewer than 200 distinct 15-bit colours (flat clip-art, icons);
     * flat          -- more than 85 % of the non-background pixels have no local gradient;
     * duplicate     -- same upstream source URL, or difference hash within 4 bits of an
       already kept picture (the higher-resolution copy is kept).
   Note: the pixel tests are only a safety net.  They reject transparent cut-outs (all of the
   ``lang`` drawings and most ``babyshapes`` pieces), black-and-white pictures and flat,
   losslessly stored clip-art, but they do NOT reliably tell lossy-compressed clip-art or
   paintings from photographs.  The allowlist, checked by eye on contact sheets, is what
   guarantees that the sample holds photographs.
5. Converts to RGB, resizes with Lanczos so the short side is ``--short-side`` px (never
   upscales), saves JPEG quality 90 with 4:4:4 chroma (no chroma subsampling), named
   ``<activity>_<stem>.jpg``, split 80/20 into ``train/`` and ``test/`` by a SHA-1 hash of the
   file name, and writes ``CREDITS.csv`` and ``README.md``.

The build is deterministic (same package in, same bytes out), is written to a temporary
directory next to the output and moved into place only when complete, and refuses to
replace a non-empty output directory unless ``--force`` is given.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = "gcompris-qt-data"
RCC_DIR = "usr/share/gcompris-qt/rcc"
COPYRIGHT = f"usr/share/doc/{PACKAGE}/copyright"

# Activities whose pictures are photographs (checked by eye on contact sheets).
ACTIVITIES = (
    "categorization",
    "erase",
    "explore_farm_animals",
    "explore_monuments",
    "explore_world_animals",
    "explore_world_music",
)

JPEG_QUALITY = 90
TEST_PERCENT = 20
MIN_SHORT_SIDE = 96
ANALYSIS_SHORT_SIDE = 256
MAX_TRANSPARENT = 0.01
MIN_COLOURS = 200
MAX_FLAT = 0.85
CHROMA_LEVEL = 10.0
MIN_CHROMA_FRACTION = 0.03
DHASH_MAX_BITS = 4

# Typos in upstream credit files of gcompris-qt 3.1: README name -> name of the shipped file.
# (Same activity, same directory; the entries' Commons sources show the same subject.)
UPSTREAM_NAME_FIXES = {
    "src/activities/categorization/resource/images/tools/screDriver.webp": "screwDriver.webp",
    "src/activities/explore_monuments/resource/germany/audaPalatina.webp": "aulaPalatina.webp",
}

DROP_REASONS = (
    "licence",
    "transparent",
    "too_small",
    "near_grayscale",
    "few_colours",
    "flat",
    "duplicate",
)


class BuildError(Exception):
    """A failure reported to the user as one line."""


# --------------------------------------------------------------------------- rcc format


@dataclass
class RccEntry:
    path: str  # e.g. /gcompris/src/activities/erase/resource/gorilla.webp
    data: bytes


def read_rcc(blob: bytes, label: str) -> list[RccEntry]:
    """Parse a Qt binary resource file (``rcc --binary`` output), return its files.

    Layout: ``qres`` magic, big-endian u32 version, tree offset, data offset, names offset,
    and (version >= 3) a u32 of global flags.  Tree nodes are 14 bytes (version 1) or 22
    bytes (with a u64 modification time).  Each node starts with a name offset (u32) and
    flags (u16); a directory then holds child count and first child index (u32, u32), a file
    holds territory, language (u16, u16) and a data offset (u32).  Names are a u16 length, a
    u32 hash and UTF-16BE text; data entries are a u32 length and the payload.
    """
    if blob[:4] != b"qres":
        raise BuildError(f"{label}: not a Qt binary resource file (no 'qres' magic)")
    version, tree, data, names = struct.unpack_from(">IIII", blob, 4)
    if version not in (1, 2, 3):
        raise BuildError(f"{label}: unsupported rcc format version {version}")
    node_size = 14 if version == 1 else 22
    entries: list[RccEntry] = []

    def name_at(offset: int) -> str:
        (length,) = struct.unpack_from(">H", blob, names + offset)
        start = names + offset + 6
        return blob[start : start + 2 * length].decode("utf-16-be")

    def visit(index: int, parent: str, depth: int) -> None:
        if depth > 64:
            raise BuildError(f"{label}: resource tree too deep (corrupt file?)")
        base = tree + index * node_size
        name_offset, flags = struct.unpack_from(">IH", blob, base)
        path = f"{parent}/{name_at(name_offset)}" if index else ""
        if flags & 0x02:  # directory
            count, first = struct.unpack_from(">II", blob, base + 6)
            for child in range(first, first + count):
                visit(child, path, depth + 1)
            return
        (data_offset,) = struct.unpack_from(">I", blob, base + 10)
        (length,) = struct.unpack_from(">I", blob, data + data_offset)
        payload = blob[data + data_offset + 4 : data + data_offset + 4 + length]
        if flags & 0x04:
            raise BuildError(
                f"{label}: {path} is zstd-compressed, which this script does not support"
            )
        if flags & 0x01:  # zlib, qCompress layout: u32 BE uncompressed size + zlib stream
            payload = zlib.decompress(payload[4:])
        elif flags & ~0x07:
            raise BuildError(f"{label}: {path} has unknown resource flags 0x{flags:x}")
        entries.append(RccEntry(path, payload))

    try:
        visit(0, "", 0)
    except (struct.error, UnicodeDecodeError, zlib.error) as exc:
        raise BuildError(f"{label}: corrupt rcc file ({exc})") from exc
    return sorted(entries, key=lambda e: e.path)


# --------------------------------------------------------------------------- licences


@dataclass
class Credit:
    copyright: str
    licence: str
    source_url: str = ""


def normalise_licence(text: str) -> str:
    text = " ".join(text.split())
    if text.lower().replace("-", " ") in ("public domain", "pd"):
        return "public-domain"
    return re.sub(r"^(CC[-\w]*?)[ -]+(\d\.\d)$", r"\1-\2", text)


def licence_allowed(licence: str) -> bool:
    lic = licence.upper()
    if lic == "PUBLIC-DOMAIN" or lic.startswith("CC0"):
        return True
    return bool(re.fullmatch(r"CC-BY(-SA)?-\d\.\d", lic))


def parse_fields(text: str) -> list[dict[str, str]]:
    """Split Debian control-style text (blank-line separated stanzas) into dicts."""
    stanzas: list[dict[str, str]] = []
    current: dict[str, str] = {}
    key = None
    for line in text.splitlines() + [""]:
        if not line.strip():
            if current:
                stanzas.append(current)
            current, key = {}, None
            continue
        match = re.match(r"^([A-Za-z][\w-]*):\s*(.*)$", line)
        if match and not line[0].isspace():
            key = match.group(1).lower()
            if key in current:  # repeated field: keep the first value
                key = f"{key}#dup"
            current[key] = match.group(2).strip()
        elif key is not None:
            current[key] = (current[key] + "\n" + line.strip()).strip()
    return stanzas


def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """Debian copyright-format glob: '*' any run of characters (including '/'), '?' one."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"\Z", re.S)


@dataclass
class DebianCopyright:
    stanzas: list[tuple[list[re.Pattern[str]], list[str], Credit]] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> DebianCopyright:
        result = cls()
        for stanza in parse_fields(text):
            if "files" not in stanza:
                continue
            globs = stanza["files"].split()
            licence = stanza.get("license", "").split("\n")[0]
            credit = Credit(" ".join(stanza.get("copyright", "").split()), licence)
            result.stanzas.append(([glob_to_regex(g) for g in globs], globs, credit))
        if not result.stanzas:
            raise BuildError("debian/copyright has no Files stanzas (unexpected format)")
        return result

    def lookup(self, source_path: str) -> tuple[str, Credit] | None:
        """Last matching stanza wins; returns (the glob that matched, its credit)."""
        found = None
        for regexes, globs, credit in self.stanzas:
            for regex, glob in zip(regexes, globs, strict=True):
                if regex.match(source_path):
                    found = (glob, credit)
                    break
        return found


def parse_upstream_credits(readme: str, directory: str) -> dict[str, Credit]:
    """Per-file credits from an upstream resource README (exact file names only)."""
    credits: dict[str, Credit] = {}
    for block in parse_fields(readme):
        if "files" not in block or "license" not in block:
            continue
        credit = Credit(
            " ".join(block.get("copyright", "").split()),
            normalise_licence(block["license"]),
            block.get("source", "").split("\n")[0],
        )
        for name in block["files"].split():
            if "*" not in name and "?" not in name:
                path = f"{directory}/{name}"
                fixed = UPSTREAM_NAME_FIXES.get(path.removeprefix("/gcompris/"))
                if fixed:
                    path = f"{path.rsplit('/', 1)[0]}/{fixed}"
                credits[path] = credit
    return credits


# --------------------------------------------------------------------------- images


@dataclass
class Candidate:
    activity: str
    rcc_path: str
    source_path: str  # src/activities/... as in debian/copyright
    data: bytes
    credit: Credit | None = None
    licence_source: str = ""
    debian: str = ""
    debian_conflict: bool = False  # a specific Debian stanza gives a licence we cannot use
    name: str = ""
    reason: str = ""
    detail: str = ""
    size: tuple[int, int] = (0, 0)
    dhash: int = 0


def analyse(cand: Candidate) -> None:
    """Fill cand.reason (empty if kept) from the pixel heuristics."""
    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(cand.data)) as im:
        im.load()
        cand.size = im.size
        if im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info:
            rgba = im.convert("RGBA")
            alpha = np.asarray(rgba.getchannel("A"))
            transparent = float((alpha < 250).mean())
            if transparent > MAX_TRANSPARENT:
                cand.reason, cand.detail = "transparent", f"{transparent:.1%} transparent"
                return
            rgb = rgba.convert("RGB")
        else:
            rgb = im.convert("RGB")
    w, h = cand.size
    if min(w, h) < MIN_SHORT_SIDE:
        cand.reason, cand.detail = "too_small", f"{w}x{h}"
        return
    scale = ANALYSIS_SHORT_SIDE / min(w, h)
    small = rgb.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.BOX)
    a = np.asarray(small).astype(np.int32)

    ycc = np.asarray(small.convert("YCbCr")).astype(np.float32)
    chroma = np.hypot(ycc[..., 1] - 128.0, ycc[..., 2] - 128.0)
    colourful = float((chroma > CHROMA_LEVEL).mean())
    if colourful < MIN_CHROMA_FRACTION:
        cand.reason, cand.detail = "near_grayscale", f"{colourful:.1%} colourful pixels"
        return

    q5 = a >> 3
    colours = len(np.unique(q5[..., 0] * 1024 + q5[..., 1] * 32 + q5[..., 2]))
    if colours < MIN_COLOURS:
        cand.reason, cand.detail = "few_colours", f"{colours} colours"
        return

    q4 = a >> 4
    bins = (q4[..., 0] * 256 + q4[..., 1] * 16 + q4[..., 2])[:-1, :-1]
    foreground = bins != np.bincount(bins.ravel()).argmax()
    grad = np.maximum(
        np.abs(np.diff(a, axis=1)).max(-1)[:-1, :], np.abs(np.diff(a, axis=0)).max(-1)[:, :-1]
    )
    flat = float((grad[foreground] <= 1).mean()) if foreground.any() else 1.0
    if flat > MAX_FLAT:
        cand.reason, cand.detail = "flat", f"{flat:.0%} flat"
        return

    grey = np.asarray(rgb.convert("L").resize((9, 8), Image.BOX)).astype(np.int32)
    bits = (grey[:, 1:] > grey[:, :-1]).ravel()
    cand.dhash = int("".join("1" if b else "0" for b in bits), 2)


def to_jpeg(data: bytes, short_side: int) -> tuple[bytes, tuple[int, int]]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        im.load()
        if im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info:
            rgba = im.convert("RGBA")
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            white.alpha_composite(rgba)
            rgb = white.convert("RGB")
        else:
            rgb = im.convert("RGB")
    w, h = rgb.size
    scale = min(1.0, short_side / min(w, h))
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        rgb = rgb.resize(size, Image.LANCZOS)
    buf = io.BytesIO()
    rgb.save(buf, "JPEG", quality=JPEG_QUALITY, subsampling=0, optimize=True)
    return buf.getvalue(), rgb.size


def split_of(file_name: str) -> str:
    digest = hashlib.sha1(file_name.encode("utf-8")).hexdigest()
    return "test" if int(digest[:8], 16) % 100 < TEST_PERCENT else "train"


# --------------------------------------------------------------------------- package


def run(cmd: list[str], what: str, cwd: Path | None = None) -> str:
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise BuildError(f"{what}: '{cmd[0]}' not found (needs Debian/Ubuntu)") from exc
    if proc.returncode != 0:
        last = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()[-1]
        raise BuildError(f"{what} failed (exit {proc.returncode}): {last}")
    return proc.stdout


def fetch_package(deb: Path | None, work: Path) -> Path:
    if deb is not None:
        if not deb.is_file():
            raise BuildError(f"--deb {deb}: no such file")
        return deb
    run(
        ["apt-get", "download", PACKAGE],
        f"apt-get download {PACKAGE} (run 'apt-get update' first, or pass --deb PATH)",
        cwd=work,
    )
    debs = sorted(work.glob(f"{PACKAGE}_*.deb"))
    if not debs:
        raise BuildError(f"apt-get download {PACKAGE} produced no .deb file")
    return debs[-1]


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")


def progress(items, desc: str):
    try:
        from tqdm import tqdm
    except ImportError:
        return items
    return tqdm(items, desc=desc, unit="img", leave=False, file=sys.stderr)


def collect(root: Path, debian: DebianCopyright) -> list[Candidate]:
    candidates: list[Candidate] = []
    for activity in ACTIVITIES:
        rcc = root / RCC_DIR / f"{activity}.rcc"
        if not rcc.is_file():
            raise BuildError(f"{RCC_DIR}/{activity}.rcc is missing from the package")
        entries = read_rcc(rcc.read_bytes(), f"{activity}.rcc")
        upstream: dict[str, Credit] = {}
        readme_of: dict[str, str] = {}
        for entry in entries:
            if entry.path.rsplit("/", 1)[-1].upper().startswith("README"):
                directory = entry.path.rsplit("/", 1)[0]
                found = parse_upstream_credits(entry.data.decode("utf-8", "replace"), directory)
                upstream.update(found)
                readme_of.update(dict.fromkeys(found, entry.path.removeprefix("/gcompris/")))
        for entry in entries:
            if not entry.path.lower().endswith(".webp") or "/resource/" not in entry.path:
                continue
            source_path = entry.path.removeprefix("/gcompris/")
            cand = Candidate(
                activity, f"{RCC_DIR}/{activity}.rcc:{entry.path}", source_path, entry.data
            )
            deb_hit = debian.lookup(source_path)
            if deb_hit:
                cand.debian = f"{deb_hit[1].licence} (Files: {deb_hit[0]})"
                cand.debian_conflict = deb_hit[0] != "*" and not licence_allowed(deb_hit[1].licence)
            if entry.path in upstream:
                cand.credit = upstream[entry.path]
                cand.licence_source = f"upstream {readme_of[entry.path]}"
            elif deb_hit:
                cand.credit = deb_hit[1]
                cand.licence_source = "debian/copyright"
            candidates.append(cand)
    # stable, readable names: <activity>_<stem>, adding the sub-folder only on a clash
    stems = Counter((c.activity, Path(c.source_path).stem) for c in candidates)
    for c in candidates:
        stem = Path(c.source_path).stem
        if stems[(c.activity, stem)] > 1:
            sub = Path(c.source_path).parent.name
            c.name = slug(f"{c.activity}_{sub}_{stem}") + ".jpg"
        else:
            c.name = slug(f"{c.activity}_{stem}") + ".jpg"
    if len({c.name for c in candidates}) != len(candidates):
        raise BuildError("file-name clash between candidates; refine the naming rule")
    return candidates


def select(candidates: list[Candidate], drop_conflicts: bool) -> list[Candidate]:
    for cand in progress(candidates, "analysing"):
        if cand.credit is None or not licence_allowed(cand.credit.licence):
            cand.reason = "licence"
            cand.detail = cand.credit.licence if cand.credit else "no licence entry"
            continue
        if drop_conflicts and cand.debian_conflict:
            cand.reason, cand.detail = "licence", f"debian/copyright: {cand.debian}"
            continue
        analyse(cand)
    kept = [c for c in candidates if not c.reason]
    # duplicates: keep the largest picture, ties broken by name
    kept.sort(key=lambda c: (-c.size[0] * c.size[1], c.name))
    chosen: list[Candidate] = []
    for cand in kept:
        for other in chosen:
            same_url = cand.credit.source_url and cand.credit.source_url == other.credit.source_url
            if same_url or bin(cand.dhash ^ other.dhash).count("1") <= DHASH_MAX_BITS:
                cand.reason, cand.detail = "duplicate", f"of {other.name}"
                break
        else:
            chosen.append(cand)
    return sorted(chosen, key=lambda c: c.name)


# --------------------------------------------------------------------------- output


def write_readme(path: Path, package: str, rows: list[dict], dropped: Counter, args) -> None:
    total = sum(r["bytes"] for r in rows)
    splits = Counter(r["split"] for r in rows)
    licences = Counter(r["licence"] for r in rows)
    activities = Counter(r["activity"] for r in rows)

    conflicts = Counter(r["debian_copyright"] for r in rows if r["debian_conflict"])
    if conflicts:
        conflict_text = (
            "\n**Conflicting statements** (`debian_conflict` column): for these photos a specific "
            "stanza of Debian's `copyright` file gives a licence not allowed here, while the "
            "upstream credit file names the exact picture and its source with an open licence. "
            "The Debian stanza appears to describe the older pictures these replaced; the "
            "upstream statement is used because `--keep-debian-conflicts` was given.\n\n"
            + "\n".join(f"* {k}: {v} photos" for k, v in sorted(conflicts.items()))
            + "\n"
        )
    else:
        conflict_text = ""

    def table(counter: Counter) -> str:
        return "\n".join(f"| {k} | {v} |" for k, v in sorted(counter.items()))

    text = f"""# colorlib sample photos

A small set of real colour photographs so that colorlib's examples, tests and notebooks run
anywhere, offline.  **{len(rows)} photos** ({splits["train"]} train / {splits["test"]} test),
{total / 1e6:.2f} MB in total.

* `train/*.jpg`, `test/*.jpg` -- RGB JPEG (quality {JPEG_QUALITY}, 4:4:4 chroma), short side
  {args.short_side} px (Lanczos; smaller originals are not upscaled).  The split is fixed: a
  file goes to `test/` when the first 8 hex digits of the SHA-1 of its name, modulo 100, are
  below {TEST_PERCENT}.
* `CREDITS.csv` -- one row per photo: file, split, author/copyright, licence, where the
  licence statement comes from, upstream source URL, what Debian's `copyright` file says
  for the same path, the path inside the Debian package, and the package name and version.

## Where it comes from

All photos come from the Debian package **{package}** (educational suite GCompris), from the
Qt resource bundles `{RCC_DIR}/<activity>.rcc` of the activities
{", ".join(f"`{a}`" for a in ACTIVITIES)}.  Almost all of them are Wikimedia Commons or
publicdomainpictures.net photographs, cropped and sharpened by the GCompris team.

## Licences

Only photos under CC-BY, CC-BY-SA, CC0 or in the public domain are included; each photo's
author and exact licence are in `CREDITS.csv`.  When you redistribute the photos, keep
`CREDITS.csv` with them (attribution; CC-BY-SA photos stay under CC-BY-SA).

| licence | photos |
|---|---|
{table(licences)}

The licence of each picture is taken from the upstream credit file (`README`) shipped next to
it in the same bundle, which names the exact `.webp` file.  Debian's `copyright` file for this
version still lists the older `.jpg` pictures these replaced, so under Debian's matching
rules most current files only fall under its catch-all stanza (GPL-3+); the matching stanza is
recorded in the `debian_copyright` column for transparency.
{conflict_text}
| activity | photos |
|---|---|
{table(activities)}

Candidates dropped while building: {
        ", ".join(f"{k} {v}" for k, v in sorted(dropped.items())) or "none"
    }.

## Rebuilding

```
apt-get update
python data/build_sample.py --force            # downloads {PACKAGE} with apt-get download
python data/build_sample.py --deb PATH --force # or use a .deb you already have
```

The build is deterministic; see `python data/build_sample.py --help` and the script's
docstring for the selection heuristic.
"""
    path.write_text(text, encoding="utf-8")


def build(args: argparse.Namespace) -> None:
    out = args.out.resolve()
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not args.force:
        raise BuildError(f"{out} exists and is not empty; pass --force to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="colorlib-sample-") as tmp:
        work = Path(tmp)
        deb = fetch_package(args.deb, work)
        fields = run(["dpkg-deb", "-f", str(deb), "Package", "Version"], f"dpkg-deb -f {deb}")
        info = dict(parse_fields(fields)[0])
        if info.get("package") != PACKAGE:
            raise BuildError(f"{deb} is {info.get('package')!r}, not {PACKAGE}")
        package = f"{PACKAGE} {info.get('version', '?')}"
        root = work / "root"
        run(["dpkg-deb", "-x", str(deb), str(root)], f"dpkg-deb -x {deb}")
        copyright_file = root / COPYRIGHT
        if not copyright_file.is_file():
            raise BuildError(f"{COPYRIGHT} is missing from the package")
        debian = DebianCopyright.parse(copyright_file.read_text(encoding="utf-8"))

        candidates = collect(root, debian)
        chosen = select(candidates, not args.keep_debian_conflicts)
        dropped = Counter(c.reason for c in candidates if c.reason)

        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
        try:
            rows = []
            for cand in progress(chosen, "writing"):
                split = split_of(cand.name)
                jpeg, size = to_jpeg(cand.data, args.short_side)
                (staging / split).mkdir(exist_ok=True)
                (staging / split / cand.name).write_bytes(jpeg)
                rows.append(
                    {
                        "file": f"{split}/{cand.name}",
                        "split": split,
                        "activity": cand.activity,
                        "copyright": cand.credit.copyright,
                        "licence": cand.credit.licence,
                        "licence_source": cand.licence_source,
                        "source_url": cand.credit.source_url,
                        "debian_copyright": cand.debian,
                        "debian_conflict": "yes" if cand.debian_conflict else "",
                        "package_path": cand.rcc_path,
                        "package": package,
                        "width": size[0],
                        "height": size[1],
                        "bytes": len(jpeg),
                    }
                )
            total = sum(r["bytes"] for r in rows)
            if total > args.max_bytes:
                raise BuildError(
                    f"sample is {total} bytes, over --max-bytes {args.max_bytes}; "
                    "lower --short-side"
                )
            if not rows:
                raise BuildError("no photo passed the filters")
            with open(staging / "CREDITS.csv", "w", newline="", encoding="utf-8") as fh:
                columns = [k for k in rows[0] if k != "bytes"]
                writer = csv.DictWriter(fh, columns, extrasaction="ignore", lineterminator="\n")
                writer.writeheader()
                writer.writerows(rows)
            write_readme(staging / "README.md", package, rows, dropped, args)

            if out.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
                os.replace(out, old / "previous")
                os.replace(staging, out)
                shutil.rmtree(old)
            else:
                os.replace(staging, out)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    report(candidates, rows, package, total, out, args.verbose)


def report(candidates, rows, package, total, out, verbose) -> None:
    print(f"{package}: {len(candidates)} candidate pictures in {len(ACTIVITIES)} activities")
    print(f"kept {len(rows)} photos, {total / 1e6:.2f} MB -> {out}")
    for title, key in (("split", "split"), ("licence", "licence"), ("activity", "activity")):
        counts = Counter(r[key] for r in rows)
        print(f"  by {title}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    dropped = [c for c in candidates if c.reason]
    print(
        f"dropped {len(dropped)}: "
        + ", ".join(f"{k} {v}" for k, v in Counter(c.reason for c in dropped).items())
    )
    if verbose:
        for c in sorted(dropped, key=lambda c: (c.reason, c.name)):
            print(f"  {c.reason:15s} {c.name:45s} {c.detail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Rebuild colorlib's sample of openly licensed photographs "
        f"(data/sample) from the Debian package {PACKAGE}.",
        epilog="Photos are kept only if CC-BY, CC-BY-SA, CC0 or public domain; see the module "
        "docstring for the photo/grayscale/duplicate heuristics.",
    )
    here = Path(__file__).resolve().parent
    parser.add_argument(
        "--out", type=Path, default=here / "sample", help="output directory (default: %(default)s)"
    )
    parser.add_argument(
        "--deb",
        type=Path,
        default=None,
        help=f"use this {PACKAGE}_*.deb instead of 'apt-get download'",
    )
    parser.add_argument(
        "--max-bytes",
        type=int,
        default=5_000_000,
        help="fail if the JPEGs total more than this (default: %(default)s)",
    )
    parser.add_argument(
        "--short-side",
        type=int,
        default=128,
        help="resize so the short side is this many pixels (default: %(default)s)",
    )
    parser.add_argument(
        "--keep-debian-conflicts",
        action="store_true",
        help="also keep photos whose upstream credit gives an open licence while a "
        "specific debian/copyright stanza says otherwise (default: drop them, to be safe)",
    )
    parser.add_argument("--force", action="store_true", help="replace a non-empty output directory")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="list every dropped picture with its reason"
    )
    args = parser.parse_args(argv)
    if args.short_side < MIN_SHORT_SIDE // 2:
        parser.error(f"--short-side must be at least {MIN_SHORT_SIDE // 2}")
    try:
        build(args)
    except BuildError as exc:
        print(f"build_sample: error: {exc}", file=sys.stderr)
        return 1
    except ImportError as exc:
        print(
            f"build_sample: error: {exc.name} is required (pip install pillow numpy)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
