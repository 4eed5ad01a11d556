#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the hand-made seed inputs of the fuzz targets into tests/fuzz/corpus/<target>/.

Run it after changing a target's input layout; the seed files are committed. Each seed is a
real-looking frame, image or stub, prefixed with the bytes the target takes its choices from."""
import base64
import hashlib
import json
import os
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def slip(payload):
    out = bytearray([0xC0])
    for b in payload:
        if b == 0xC0:
            out += b'\xdb\xdc'
        elif b == 0xDB:
            out += b'\xdb\xdd'
        else:
            out.append(b)
    out.append(0xC0)
    return bytes(out)


def command(op, data, checksum=0):
    return struct.pack('<BBHI', 0x00, op, len(data), checksum) + data


def response(op, value, data):
    return struct.pack('<BBHI', 0x01, op, len(data), value) + data


SYNC = command(0x08, b'\x07\x07\x12\x20' + b'\x55' * 32)
SYNC_REPLY = response(0x08, 0, b'\x00\x00')
READ_REG = command(0x0A, struct.pack('<I', 0x40001000))
READ_REG_REPLY_ROM8266 = response(0x0A, 0xFFF0C101, b'\x00\x00')
READ_REG_REPLY_ROM32 = response(0x0A, 0x00F01D83, b'\x00\x00\x00\x00')
MD5_REPLY_STUB = response(0x13, 0, bytes(range(16)) + b'\x00\x00')
STUB_ERROR = response(0xD2, 0, b'\xc1\x00')  # stub: code in the first byte
ROM_REJECTION = response(0x0F, 0, b'\x01\x05')  # ROM: unsupported command
# bytes needing escapes inside a reply value and payload
ESCAPED_REPLY = response(0x0A, 0xC0DBC0DB, b'\xc0\xdb\x00\x00')


def image(chip_id=None, segments=((0x3FFF0000, 20), (0x40080000, 32)), with_hash=False,
          mode=2, size_freq=0x20, entry=0x40080400):
    if chip_id is None:  # ESP8266: 8-byte header
        hdr = struct.pack('<BBBBI', 0xE9, len(segments), mode, size_freq, entry)
    else:
        hdr = struct.pack('<BBBBI', 0xE9, len(segments), mode, size_freq, entry)
        ext = bytearray(16)
        ext[0] = 0xEE  # wp pin
        struct.pack_into('<H', ext, 4, chip_id)
        struct.pack_into('<H', ext, 9, 0xFFFF)  # max chip revision
        ext[15] = 1 if with_hash else 0
        hdr += bytes(ext)
    img = bytearray(hdr)
    csum = 0xEF
    for n, (addr, length) in enumerate(segments):
        body = bytes((i * 7 + n) & 0xFF for i in range(length))
        img += struct.pack('<II', addr, length) + body
        for b in body:
            csum ^= b
    while len(img) % 16 != 15:
        img.append(0)
    img.append(csum)
    if with_hash:
        img += hashlib.sha256(img).digest()
    return bytes(img)


def stub(entry=0x4010E004, text_start=0x4010E000, text=bytes(range(64)), data=b'\x01\x02\x03\x04',
         data_start=0x3FFE8000):
    obj = {'entry': entry, 'text': base64.b64encode(text).decode(), 'text_start': text_start}
    if data is not None:
        obj['data'] = base64.b64encode(data).decode()
        obj['data_start'] = data_start
    return json.dumps(obj, indent=1).encode()


def partition_table(entries, with_md5=True):
    """ESP-IDF partition table: 32-byte entries, the MD5 entry, the 0xFF end marker."""
    out = bytearray()
    for ptype, subtype, offset, size, name in entries:
        out += struct.pack('<HBBII16sI', 0x50AA, ptype, subtype, offset, size, name.encode(), 0)
    if with_md5:
        out += b'\xeb\xeb' + b'\xff' * 14 + hashlib.md5(bytes(out)).digest()
    return bytes(out) + b'\xff' * 32


def app_image(project, version):
    desc = bytearray(256)
    struct.pack_into('<I', desc, 0, 0xABCD5432)
    desc[16:16 + len(version)] = version.encode()
    desc[48:48 + len(project)] = project.encode()
    desc[112:118] = b'v5.3.1'
    img = bytearray(image(chip_id=0, segments=((0x3F400020, 256), (0x40080000, 32)), with_hash=True))
    # the descriptor opens the first segment: rebuild with it in place
    body = bytearray(img)
    body[32:32 + 256] = desc
    csum = 0xEF
    for b in bytes(desc) + bytes((i * 7 + 1) & 0xFF for i in range(32)):
        csum ^= b
    end = len(body) - 32
    body[end - 1] = csum
    body[end:] = hashlib.sha256(bytes(body[:end])).digest()
    return bytes(body)


def otadata_entry(seq):
    crc = zlib.crc32(struct.pack('<I', seq), 0xFFFFFFFF)
    return struct.pack('<I20sII', seq, b'\xff' * 20, 2, crc)


def flash(size, parts):
    out = bytearray(b'\xff' * size)
    for offset, content in parts:
        out[offset:offset + len(content)] = content
    return bytes(out)


# small dumps: the table, otadata at 0x9000 and an app at 0xC000 all within 64 KB
ESP32_TABLE = partition_table([(1, 0, 0x9000, 0x2000, 'otadata'), (0, 0x10, 0xC000, 0x1000, 'ota_0'),
                               (0, 0x11, 0xD000, 0x1000, 'ota_1'), (1, 0x82, 0xE000, 0x2000, 'spiffs')])


SEEDS = {
    # 4 bytes seeding the chunk splits (byte 0 also picks the frame limit), then the stream
    'slip': {
        'sync': b'\x06\x11\x22\x33' + slip(SYNC),
        'read-reg-reply': b'\x07\x01\x00\x00' + slip(READ_REG_REPLY_ROM32),
        'escaped': b'\x07\x05\x00\x00' + slip(ESCAPED_REPLY) + slip(SYNC_REPLY),
        'boot-log': b'\x05\x09\x00\x00' + b'ets Jan  8 2013,rst cause:2, boot mode:(1,7)\r\n' +
                    slip(READ_REG_REPLY_ROM8266) + b'\xc0\xc0' + slip(SYNC_REPLY),
        'bad-escape': b'\x04\x00\x00\x00' + b'\xc0\x01\xdb\x41\xc0' + slip(SYNC_REPLY),
    },
    # 1 byte of expected payload length (0..64), then the unescaped frame
    'response': {
        'sync-reply': b'\x00' + SYNC_REPLY,
        'read-reg-rom8266': b'\x00' + READ_REG_REPLY_ROM8266,
        'read-reg-rom32': b'\x00' + READ_REG_REPLY_ROM32,
        'md5-stub': b'\x10' + MD5_REPLY_STUB,
        'stub-error': b'\x00' + STUB_ERROR,
        'rom-rejection': b'\x04' + ROM_REJECTION,
    },
    # 4 bytes of choices (mode, freq, size, chip/address/detected size), then the image
    'image': {
        'esp32-min': b'\x04\x02\x07\x01' + image(chip_id=0, segments=((0x3FFF0000, 4),)),
        'esp32-hash': b'\x02\x03\x09\x01' + image(chip_id=0, with_hash=True),
        'esp32c3': b'\x05\x05\x02\x04' + image(chip_id=5, with_hash=True),
        'esp8266': b'\x03\x04\x05\x00' + image(chip_id=None, mode=0, size_freq=0x40),
        'esp32-flash-dump': b'\x04\x02\x02\x01' + b'\xff' * 0x1000 +
                            image(chip_id=0, with_hash=True),
    },
    # the dump itself
    'image-info': {
        'esp32-ota': flash(0x10000, [(0x1000, image(chip_id=0, with_hash=True)), (0x8000, ESP32_TABLE),
                                     (0x9000, otadata_entry(1)), (0xA000, otadata_entry(2)),
                                     (0xC000, app_image('demo', '1.0.0')),
                                     (0xD000, app_image('demo', '1.1.0'))]),
        'table-only': ESP32_TABLE,
        'table-no-md5': partition_table([(0, 0, 0x10000, 0x100000, 'factory')], with_md5=False),
        'app-image': app_image('doorbell', '0.3.0'),
        'esp8266-tasmota': flash(0x3000, [(0, image(chip_id=None, mode=0, size_freq=0x20)),
                                          (0x1000, image(chip_id=None, mode=0, size_freq=0x20,
                                                         segments=((0x3FFE8000, 64),))),
                                          (0x1010, b'Tasmota\x00192.168.4.1\x0014.2.0\x00')]),
        'esp8266-rboot': flash(0x3000, [(0, image(chip_id=None)),
                                        (0x1000, bytes([0xE1, 1, 0, 0, 0, 1, 0, 0]) + struct.pack('<I', 0x2000)),
                                        (0x2000, image(chip_id=None))]),
    },
    'stub': {
        'esp8266': stub(),
        'esp32-no-data': stub(entry=0x400BE598, text_start=0x400BE000, text=bytes(2048),
                              data=None),
        'entry-outside': stub(entry=0x4010F000),
    },
}


def main():
    for target, seeds in SEEDS.items():
        d = os.path.join(HERE, 'corpus', target)
        os.makedirs(d, exist_ok=True)
        for name, content in seeds.items():
            with open(os.path.join(d, name), 'wb') as f:
                f.write(content)
    return 0


if __name__ == '__main__':
    sys.exit(main())
