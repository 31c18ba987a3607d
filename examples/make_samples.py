#!/usr/bin/env python3
"""Writes the sample records of the README walk-through, byte for byte the
same every time (no timestamps, fixed UIDs), with the standard library only:

  pathology-report.pdf  a one-page PDF 1.4 (what a pathology report upload is)
  ct-slice.dcm          a DICOM Part 10 file: 128-byte preamble, "DICM", the file
                        meta group, an 8-bit 16x16 Secondary Capture image
  key-image.png         a 32x32 greyscale PNG (a key image exported from a viewer)

Everything in them is invented: no real patient. The service accepts each as
the media type it declares (internal/records/media_type.c checks the bytes).

Usage: examples/make_samples.py [OUTPUT_DIR]   (default: this folder)"""
import os
import struct
import sys
import uuid
import zlib

NOTICE = "Synthetic sample for the API walk-through - not a real patient."


# ---------------------------------------------------------------- PDF

def pdf():
    lines = ["SAMPLE PATHOLOGY REPORT", NOTICE, "",
             "Specimen: left breast, 10 o'clock, ultrasound-guided core needle biopsy",
             "Diagnosis: invasive ductal carcinoma, Nottingham grade 2 (3+2+2)",
             "Estrogen receptor: positive (95%)   Progesterone receptor: positive (60%)",
             "HER2: negative (IHC 1+)   Ki-67: 20%",
             "Size on imaging: 2.4 cm   Lymphovascular invasion: not identified"]
    text = ["BT", "/F1 11 Tf", "14 TL", "72 720 Td"]
    for i, line in enumerate(lines):
        esc = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        text.append(("" if i == 0 else "T* ") + f"({esc}) Tj")
    text.append("ET")
    content = "\n".join(text).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
        b" /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Title (Sample pathology report) /Producer (examples/make_samples.py) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += (b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objects) + 1, xref))
    return bytes(out)


# ---------------------------------------------------------------- PNG

def png(size=32):
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = bytearray()
    c = (size - 1) / 2
    for y in range(size):
        rows.append(0)  # filter: none
        for x in range(size):
            r2 = (x - c) ** 2 + (y - c) ** 2
            rows.append(230 if r2 < (size / 5) ** 2 else 40 + (x * 120) // size)
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0))
            + chunk(b"tEXt", b"Description\x00" + NOTICE.encode("latin-1"))
            + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
            + chunk(b"IEND", b""))


# ---------------------------------------------------------------- DICOM

def uid(name):
    """A fixed UID under 2.25 (UUID-derived, ISO/IEC 9834-8)."""
    return "2.25.%d" % uuid.uuid5(uuid.NAMESPACE_URL, "https://cso.example/samples/" + name).int


LONG_VRS = {b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN"}


def element(group, elem, vr, value):
    """One data element, explicit VR little endian, padded to an even length
    (UI with NUL, other text with a space)."""
    if isinstance(value, str):
        value = value.encode("ascii")
    if len(value) % 2:
        value += b"\x00" if vr in (b"UI", b"OB") else b" "
    head = struct.pack("<HH", group, elem) + vr
    if vr in LONG_VRS:
        return head + b"\x00\x00" + struct.pack("<I", len(value)) + value
    return head + struct.pack("<H", len(value)) + value


def us(n):
    return struct.pack("<H", n)


def dicom(size=16):
    sop_class = "1.2.840.10008.5.1.4.1.1.7"  # Secondary Capture Image Storage
    sop_instance = uid("ct-slice/instance")
    meta = b"".join([
        element(0x0002, 0x0001, b"OB", b"\x00\x01"),
        element(0x0002, 0x0002, b"UI", sop_class),
        element(0x0002, 0x0003, b"UI", sop_instance),
        element(0x0002, 0x0010, b"UI", "1.2.840.10008.1.2.1"),  # explicit VR little endian
        element(0x0002, 0x0012, b"UI", uid("implementation")),
        element(0x0002, 0x0013, b"SH", "CSO_SAMPLES_1"),
    ])
    pixels = bytes((x * 255) // (size - 1) if (x + y) % 4 else 255
                   for y in range(size) for x in range(size))
    data = b"".join([
        element(0x0008, 0x0016, b"UI", sop_class),
        element(0x0008, 0x0018, b"UI", sop_instance),
        element(0x0008, 0x0020, b"DA", ""),  # study date: type 2, left empty
        element(0x0008, 0x0030, b"TM", ""),
        element(0x0008, 0x0050, b"SH", ""),
        element(0x0008, 0x0060, b"CS", "OT"),
        element(0x0008, 0x0064, b"CS", "WSD"),
        element(0x0008, 0x0090, b"PN", ""),
        element(0x0008, 0x103E, b"LO", "Synthetic sample - not a patient"),
        element(0x0010, 0x0010, b"PN", "SAMPLE^SYNTHETIC"),
        element(0x0010, 0x0020, b"LO", "CSO-SAMPLE-0001"),
        element(0x0010, 0x0030, b"DA", ""),
        element(0x0010, 0x0040, b"CS", ""),
        element(0x0020, 0x000D, b"UI", uid("ct-slice/study")),
        element(0x0020, 0x000E, b"UI", uid("ct-slice/series")),
        element(0x0020, 0x0010, b"SH", ""),
        element(0x0020, 0x0011, b"IS", "1"),
        element(0x0020, 0x0013, b"IS", "1"),
        element(0x0020, 0x0020, b"CS", ""),
        element(0x0028, 0x0002, b"US", us(1)),
        element(0x0028, 0x0004, b"CS", "MONOCHROME2"),
        element(0x0028, 0x0010, b"US", us(size)),
        element(0x0028, 0x0011, b"US", us(size)),
        element(0x0028, 0x0100, b"US", us(8)),
        element(0x0028, 0x0101, b"US", us(8)),
        element(0x0028, 0x0102, b"US", us(7)),
        element(0x0028, 0x0103, b"US", us(0)),
        element(0x7FE0, 0x0010, b"OB", pixels),
    ])
    group_length = element(0x0002, 0x0000, b"UL", struct.pack("<I", len(meta)))
    return b"\x00" * 128 + b"DICM" + group_length + meta + data


SAMPLES = {"pathology-report.pdf": pdf, "key-image.png": png, "ct-slice.dcm": dicom}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(out, exist_ok=True)
    for name, make in SAMPLES.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(make())


if __name__ == "__main__":
    main()
