#!/usr/bin/env python3
"""Makes the structure checks' corpus (see README). Needs qpdf and cjpeg
(Debian: qpdf, libjpeg-turbo-progs); run it in this folder."""
import struct, subprocess, zipfile, zlib


def pdf_base():
    # A one-page PDF with a line of text and an Info dictionary; qpdf then
    # rewrites it with object streams and a cross-reference stream.
    content = b"BT /F1 18 Tf 40 120 Td (tongban corpus) Tj ET"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Producer (tongban corpus) >>",
    ]
    out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    x = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for o in offs:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
    return out


def pdf_incremental():
    open("base.tmp.pdf", "wb").write(pdf_base())
    subprocess.run(["qpdf", "--object-streams=generate", "--compress-streams=y",
                    "base.tmp.pdf", "xref-stream.tmp.pdf"], check=True)
    data = open("xref-stream.tmp.pdf", "rb").read()
    prev = int(data[data.rindex(b"startxref") + 9:].split()[0])
    size = int(data[data.rindex(b"/Size") + 5:].split(b"/")[0].split()[0])
    root = data[data.rindex(b"/Root") + 5:].split(b"R")[0].strip() + b" R"
    # An incremental update as a signing or annotating tool writes it: one
    # new object (a changed Info) and a cross-reference stream with /Prev.
    info_no, xref_no = size, size + 1
    info_at = len(data)
    upd = b"%d 0 obj\n<< /Producer (tongban corpus, updated) /ModDate (D:20261201120000+08'00') >>\nendobj\n" % info_no
    xref_at = info_at + len(upd)
    rows = struct.pack(">BIB", 1, info_at, 0) + struct.pack(">BIB", 1, xref_at, 0)
    upd += (b"%d 0 obj\n<< /Type /XRef /Size %d /Index [%d 2] /W [1 4 1] /Root %s /Info %d 0 R /Prev %d /Length %d >>\nstream\n"
            % (xref_no, xref_no + 1, info_no, root, info_no, prev, len(rows)))
    upd += rows + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at
    open("xref-stream-incremental.pdf", "wb").write(data + upd)


def ppm(w, h):
    px = bytearray()
    for y in range(h):
        for x in range(w):
            px += bytes(((x * 255) // w, (y * 255) // h, ((x ^ y) * 7) & 255))
    return b"P6\n%d %d\n255\n" % (w, h) + bytes(px)


def jpegs():
    open("img.tmp.ppm", "wb").write(ppm(96, 64))
    for name, args in [("progressive.jpg", ["-progressive"]),
                       ("baseline-restart.jpg", ["-restart", "1", "-optimize"])]:
        out = subprocess.run(["cjpeg", "-quality", "80", *args, "img.tmp.ppm"],
                             check=True, capture_output=True).stdout
        open(name, "wb").write(out)


def png():
    w, h = 64, 48
    raw = b"".join(b"\x00" + b"".join(bytes(((x * 4) & 255, (y * 5) & 255, 128, 255)) for x in range(w))
                   for y in range(h))
    z = zlib.compress(raw, 9)

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    parts = [chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)),
             chunk(b"pHYs", struct.pack(">IIB", 11811, 11811, 1)),
             chunk(b"tEXt", b"Software\x00tongban corpus")]
    # Image data split over several IDAT chunks, as encoders do.
    for i in range(0, len(z), 1000):
        parts.append(chunk(b"IDAT", z[i:i + 1000]))
    parts.append(chunk(b"IEND", b""))
    open("rgba-multi-idat.png", "wb").write(b"\x89PNG\r\n\x1a\n" + b"".join(parts))


def ofd():
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    files = {
        "OFD.xml": f'<?xml version="1.0" encoding="UTF-8"?>\n<ofd:OFD {ns} DocType="OFD" Version="1.1">'
                   '<ofd:DocBody><ofd:DocInfo><ofd:DocID>b2a0c6e4f1d84c3e9a7b5d2f0e1c3a4b</ofd:DocID>'
                   '<ofd:Title>通办样例</ofd:Title><ofd:CreationDate>2026-12-01</ofd:CreationDate>'
                   '<ofd:Creator>tongban corpus</ofd:Creator></ofd:DocInfo>'
                   '<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>\n',
        "Doc_0/Document.xml": f'<?xml version="1.0" encoding="UTF-8"?>\n<ofd:Document {ns}>'
                              '<ofd:CommonData><ofd:MaxUnitID>10</ofd:MaxUnitID>'
                              '<ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>'
                              '<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>'
                              '<ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages>'
                              '</ofd:Document>\n',
        "Doc_0/PublicRes.xml": f'<?xml version="1.0" encoding="UTF-8"?>\n<ofd:Res {ns} BaseLoc="Res">'
                               '<ofd:Fonts><ofd:Font ID="2" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>\n',
        "Doc_0/Pages/Page_0/Content.xml": f'<?xml version="1.0" encoding="UTF-8"?>\n<ofd:Page {ns}>'
                                          '<ofd:Content><ofd:Layer ID="3"><ofd:TextObject ID="4" Boundary="20 20 120 10" Font="2" Size="5">'
                                          '<ofd:TextCode X="0" Y="5">通办样例文件</ofd:TextCode></ofd:TextObject>'
                                          '</ofd:Layer></ofd:Content></ofd:Page>\n',
    }
    with zipfile.ZipFile("sample.ofd", "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(zipfile.ZipInfo(name, (2026, 12, 1, 12, 0, 0)), text.encode(), zipfile.ZIP_DEFLATED)
        z.comment = b"tongban corpus"


if __name__ == "__main__":
    pdf_incremental()
    jpegs()
    png()
    ofd()
    import os
    for f in os.listdir("."):
        if ".tmp." in f:
            os.remove(f)
