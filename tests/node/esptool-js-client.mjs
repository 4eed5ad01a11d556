#!/usr/bin/env node
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Interoperability client: drives a chip served by flashkeep-sim (or any raw TCP serial bridge,
// e.g. ser2net in raw mode) with esptool-js, Espressif's own JavaScript implementation of the
// ROM loader / flasher stub protocol. It is an independent second opinion on the simulator:
// whatever Flashkeep's engine and the simulator agree on, a separate client must agree with too.
//
// Steps (each prints PASS or FAIL; any failure makes the exit status 1):
//   connect without reset, detect the chip, print name / MAC / flash id / flash size, load stub,
//   change baud rate (a no-op on TCP), back up the whole flash (READ_FLASH) and check its digest,
//   erase the whole chip, restore the backup (compressed write + MD5 check), write test images at
//   several offsets (compressed and uncompressed), read them back, erase a region, and read the
//   whole flash again. The erased chip is checked with SPI_FLASH_MD5 and spot reads; --thorough
//   reads all of it back as well (slow: esptool-js reads about 0.35 MB/s on this kind of machine). The bytes the client expects the flash to hold at the end are written to
//   --out-dir/expected-final.bin so the caller can compare them with the simulator's --dump.
//
// Usage:
//   node esptool-js-client.mjs --port PORT [--host 127.0.0.1] [--chip esp32] [--size 4MB]
//        [--out-dir DIR] [--baud 921600] [--trace] [--debug] [--thorough]

import net from "node:net";
import fs from "node:fs";
import path from "node:path";
import { createHash } from "node:crypto";
import { ReadableStream, WritableStream } from "node:stream/web";

// ---------------------------------------------------------------------------------------------
// command line

function usage(msg) {
  if (msg) console.error(`esptool-js-client: ${msg}`);
  console.error(
    "usage: esptool-js-client.mjs --port PORT [--host HOST] [--chip CHIP] [--size SIZE]\n" +
      "                             [--out-dir DIR] [--baud BAUD] [--trace] [--debug] [--thorough]",
  );
  process.exit(2);
}

function parseArgs(argv) {
  const opts = {
    host: "127.0.0.1",
    port: 0,
    chip: null,
    size: null,
    outDir: null,
    baud: 921600,
    trace: false,
    debug: false,
    thorough: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case "--host": opts.host = next(); break;
      case "--port": opts.port = Number.parseInt(next(), 10); break;
      case "--chip": opts.chip = next(); break;
      case "--size": opts.size = next(); break;
      case "--out-dir": opts.outDir = next(); break;
      case "--baud": opts.baud = Number.parseInt(next(), 10); break;
      case "--trace": opts.trace = true; break;
      case "--debug": opts.debug = true; break;
      case "--thorough": opts.thorough = true; break;
      case "-h": case "--help": usage(); break;
      default: usage(`unknown argument ${a}`);
    }
  }
  if (!Number.isInteger(opts.port) || opts.port <= 0 || opts.port > 65535) usage("--port is required");
  if (!Number.isInteger(opts.baud) || opts.baud <= 0) usage("bad --baud");
  return opts;
}

function parseSize(s) {
  const m = /^(\d+)\s*(KB|MB|K|M)?$/i.exec(s);
  if (!m) throw new Error(`cannot parse size "${s}"`);
  const n = Number.parseInt(m[1], 10);
  const unit = (m[2] || "").toUpperCase();
  if (unit.startsWith("K")) return n * 1024;
  if (unit.startsWith("M")) return n * 1024 * 1024;
  return n;
}

// what esptool-js should report for each simulated chip
const CHIP_EXPECT = {
  esp8266: { name: "ESP8266", description: /^ESP8266EX/ },
  esp8285: { name: "ESP8266", description: /^ESP8285/ },
  esp32: { name: "ESP32", description: /^ESP32-/ },
  esp32s2: { name: "ESP32-S2", description: /^ESP32-S2/ },
  esp32s3: { name: "ESP32-S3", description: /^ESP32-S3/ },
  esp32c3: { name: "ESP32-C3", description: /^ESP32-C3/ },
};

// ---------------------------------------------------------------------------------------------
// A WebSerial-like port on top of a TCP socket.
//
// esptool-js's Transport uses: open({baudRate, ...}), close(), the `readable` / `writable`
// WHATWG streams (it takes a reader / writer per operation and releases it again), setSignals()
// for DTR/RTS, getInfo() for the USB ids, and setBaudRate() when present (an in-place rate change;
// without it Transport closes and reopens the port, which on TCP would drop the connection).
// A raw TCP bridge has no modem lines and no baud rate, so those only get recorded.

class TcpSerialPort {
  constructor(host, port, log) {
    this.host = host;
    this.port = port;
    this.log = log;
    this.socket = null;
    this.readable = null;
    this.writable = null;
    this.baudRate = 0;
    this.signals = { dataTerminalReady: false, requestToSend: false, break: false };
    this.signalChanges = 0;
    this.baudChanges = [];
    this.bytesIn = 0;
    this.bytesOut = 0;
  }

  getInfo() {
    // no USB ids: esptool-js then treats the port as a plain USB-UART bridge
    return {};
  }

  async open(options = {}) {
    if (this.socket) throw new Error("port is already open");
    this.baudRate = options.baudRate || 115200;
    const socket = await new Promise((resolve, reject) => {
      const s = net.createConnection({ host: this.host, port: this.port });
      const onError = (err) => reject(err);
      s.once("error", onError);
      s.once("connect", () => {
        s.off("error", onError);
        resolve(s);
      });
    });
    socket.setNoDelay(true);
    this.socket = socket;

    let readController = null;
    this.readable = new ReadableStream(
      {
        start: (controller) => {
          readController = controller;
        },
        pull: () => {
          if (socket.isPaused()) socket.resume();
        },
        cancel: () => {
          socket.pause();
        },
      },
      { highWaterMark: 256 },
    );
    socket.on("data", (chunk) => {
      this.bytesIn += chunk.length;
      try {
        readController.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
        if (readController.desiredSize !== null && readController.desiredSize <= 0) socket.pause();
      } catch {
        // the stream was cancelled or closed: drop the bytes, like a closed serial port
      }
    });
    socket.on("end", () => {
      this.log("tcp: peer closed the connection");
      try {
        readController.close();
      } catch {
        // already closed
      }
    });
    socket.on("error", (err) => {
      this.log(`tcp: ${err.message}`);
      try {
        readController.error(err);
      } catch {
        // already closed
      }
    });

    this.writable = new WritableStream({
      write: (chunk) =>
        new Promise((resolve, reject) => {
          if (socket.destroyed) {
            reject(new Error("connection closed"));
            return;
          }
          this.bytesOut += chunk.length;
          socket.write(chunk, (err) => (err ? reject(err) : resolve()));
        }),
      close: () => Promise.resolve(),
    });
  }

  async setSignals(signals = {}) {
    for (const key of ["dataTerminalReady", "requestToSend", "break"]) {
      if (typeof signals[key] === "boolean" && signals[key] !== this.signals[key]) {
        this.signals[key] = signals[key];
        this.signalChanges++;
      }
    }
  }

  async getSignals() {
    return { dataCarrierDetect: false, clearToSend: false, ringIndicator: false, dataSetReady: false };
  }

  async setBaudRate(baud) {
    this.baudChanges.push(baud);
    this.baudRate = baud;
  }

  async close() {
    const socket = this.socket;
    this.socket = null;
    this.readable = null;
    this.writable = null;
    if (socket && !socket.destroyed) {
      await new Promise((resolve) => {
        socket.once("close", resolve);
        socket.end();
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 500).unref();
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// helpers

const md5hex = (buf) => createHash("md5").update(buf).digest("hex");
const hex = (n, w = 8) => "0x" + (n >>> 0).toString(16).padStart(w, "0");
const sizeText = (n) => (n % (1024 * 1024) === 0 ? `${n / 1024 / 1024}MB` : n % 1024 === 0 ? `${n / 1024}KB` : `${n}B`);

// deterministic pseudo-random bytes (xorshift32), so every run writes the same images
function testPattern(length, seed) {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

// compressible but not trivial: text-like records with a counter
function recordPattern(length, tag) {
  const out = new Uint8Array(length);
  const enc = new TextEncoder();
  let off = 0;
  for (let n = 0; off < length; n++) {
    const rec = enc.encode(`${tag} record ${n.toString().padStart(6, "0")} flashkeep interop\n`);
    const take = Math.min(rec.length, length - off);
    out.set(rec.subarray(0, take), off);
    off += take;
  }
  return out;
}

function firstDifference(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function describeDifference(actual, expected, base) {
  const d = firstDifference(actual, expected);
  if (d < 0) return "identical";
  let count = 0;
  const n = Math.min(actual.length, expected.length);
  for (let i = d; i < n; i++) if (actual[i] !== expected[i]) count++;
  const show = (buf) =>
    Array.from(buf.subarray(d, Math.min(d + 16, buf.length)))
      .map((b) => b.toString(16).padStart(2, "0"))
      .join(" ");
  return (
    `length ${actual.length} vs expected ${expected.length}; first difference at ${hex(base + d)}, ` +
    `${count} differing bytes; got [${show(actual)}] expected [${show(expected)}]`
  );
}

// ---------------------------------------------------------------------------------------------
// main

const opts = parseArgs(process.argv.slice(2));
const SECTOR = 0x1000;

let failures = 0;
let passes = 0;
const results = [];

function pass(what, detail = "") {
  passes++;
  results.push(["PASS", what]);
  console.log(`PASS  ${what}${detail ? ": " + detail : ""}`);
}
function fail(what, detail = "") {
  failures++;
  results.push(["FAIL", what]);
  console.log(`FAIL  ${what}${detail ? ": " + detail : ""}`);
}
function check(cond, what, detail = "") {
  if (cond) pass(what, detail);
  else fail(what, detail);
  return cond;
}
function warn(what, detail) {
  console.log(`WARN  ${what}: ${detail}`);
}
function info(label, value) {
  console.log(`INFO  ${label.padEnd(14)} ${value}`);
}

let esptool;
try {
  esptool = await import("esptool-js");
} catch (err) {
  console.error(`esptool-js-client: cannot load esptool-js (${err.message}).`);
  console.error("Install the test dependencies first: npm ci --prefix tests/node");
  process.exit(2);
}
const { ESPLoader, Transport, getStubJsonByChipName } = esptool;

// esptool-js writes its progress through a terminal object; keep it, indented, for the log
const terminal = {
  line: "",
  lines: [],
  clean() {},
  write(s) {
    this.line += s;
  },
  writeLine(s) {
    const text = (this.line + s).replace(/\r/g, "").trimEnd();
    this.line = "";
    if (text.length) {
      for (const l of text.split("\n")) {
        this.lines.push(l.trim());
        console.log(`      | ${l}`);
      }
    }
  },
};

// a hung step must not hang the test: the whole run has a deadline
const deadline = setTimeout(() => {
  console.log("FAIL  overall deadline (240 s) exceeded; the device stopped answering?");
  process.exit(1);
}, 240_000);
deadline.unref();

const port = new TcpSerialPort(opts.host, opts.port, (m) => console.log(`      ~ ${m}`));
const transport = new Transport(port, opts.trace);
const loader = new ESPLoader({
  transport,
  baudrate: opts.baud,
  romBaudrate: 115200,
  terminal,
  debugLogging: opts.debug,
});
// esptool-js waits 100 s for each READ_FLASH data frame; a stalled stream should fail sooner
loader.FLASH_READ_TIMEOUT = 15_000;

// The flash contents the client believes the chip holds; every step updates it.
let model = null;
let flashSize = 0;

// RDID (0x9F, 24 bits) on the ESP8266's SPI controller: lengths live in SPI_USR1
async function readFlashIdEsp8266() {
  const base = 0x60000200;
  const CMD = base, USR = base + 0x1c, USR1 = base + 0x20, USR2 = base + 0x24, W0 = base + 0x40;
  const oldUsr = await loader.readReg(USR);
  const oldUsr2 = await loader.readReg(USR2);
  await loader.writeReg(USR1, (24 - 1) << 8);
  await loader.writeReg(USR, ((1 << 31) | (1 << 28)) >>> 0);
  await loader.writeReg(USR2, ((7 << 28) | 0x9f) >>> 0);
  await loader.writeReg(W0, 0);
  await loader.writeReg(CMD, 1 << 18);
  let done = false;
  for (let i = 0; i < 10 && !done; i++) done = ((await loader.readReg(CMD)) & (1 << 18)) === 0;
  if (!done) throw new Error("SPI command did not complete");
  const id = await loader.readReg(W0);
  await loader.writeReg(USR, oldUsr >>> 0);
  await loader.writeReg(USR2, oldUsr2 >>> 0);
  return id & 0xffffff;
}

async function readAll(label) {
  const t0 = Date.now();
  const data = await loader.readFlash(0, flashSize);
  const ms = Date.now() - t0;
  // The stub ends a READ_FLASH with a 16-byte frame holding the MD5 of the data; esptool-js
  // itself never reads it, so check it here with esptool-js's own SLIP reader.
  let digest = null;
  try {
    digest = await transport.read(3000);
  } catch (err) {
    fail(`${label}: READ_FLASH digest frame`, `none received (${err.message})`);
  }
  if (digest) {
    const got = Buffer.from(digest).toString("hex");
    check(
      digest.length === 16 && got === md5hex(data),
      `${label}: READ_FLASH digest frame`,
      `${digest.length} bytes ${got}, data md5 ${md5hex(data)}`,
    );
  }
  console.log(`      read ${data.length} bytes in ${(ms / 1000).toFixed(1)} s`);
  return data;
}

async function readRegion(offset, length) {
  const data = await loader.readFlash(offset, length);
  try {
    await transport.read(3000); // the trailing digest frame
  } catch {
    // reported by readAll; here only the data matters
  }
  return data;
}

async function md5OfFlash(offset, length) {
  return (await loader.flashMd5sum(offset, length)).toLowerCase();
}

function modelWrite(offset, data) {
  // the stub erases whole sectors around the written range, then programs the data
  const start = offset - (offset % SECTOR);
  const end = Math.ceil((offset + data.length) / SECTOR) * SECTOR;
  model.fill(0xff, start, Math.min(end, model.length));
  model.set(data, offset);
}

async function writeImage(label, offset, data, compress) {
  // esptool-js pads the image to a multiple of 4 with 0xFF before sending it
  const padded = new Uint8Array(Math.ceil(data.length / 4) * 4).fill(0xff);
  padded.set(data);
  const t0 = Date.now();
  try {
    await loader.writeFlash({
      fileArray: [{ data, address: offset }],
      flashSize: "keep",
      flashMode: "keep",
      flashFreq: "keep",
      eraseAll: false,
      compress,
      calculateMD5Hash: (image) => md5hex(image),
    });
    pass(
      `${label}: writeFlash ${compress ? "compressed" : "uncompressed"} ${data.length} bytes at ${hex(offset)}`,
      `MD5 verified by the device, ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
  } catch (err) {
    fail(`${label}: writeFlash ${compress ? "compressed" : "uncompressed"} ${data.length} bytes at ${hex(offset)}`, err.message);
  }
  modelWrite(offset, padded);
  if (padded.length > 0x100000) {
    // large images: the device's MD5 check above and the final whole-flash read cover them
    return;
  }
  const back = await readRegion(offset, padded.length);
  check(
    firstDifference(back, padded) < 0,
    `${label}: read back ${padded.length} bytes at ${hex(offset)}`,
    describeDifference(back, padded, offset),
  );
}

async function eraseRegion(offset, length) {
  // esptool-js 0.7.0 has no erase-region helper; send ERASE_REGION through its command layer
  const pkt = new Uint8Array(8);
  const dv = new DataView(pkt.buffer);
  dv.setUint32(0, offset, true);
  dv.setUint32(4, length, true);
  const timeout = loader.timeoutPerMb(loader.ERASE_REGION_TIMEOUT_PER_MB, length);
  await loader.checkCommand("erase region", loader.ESP_ERASE_REGION, pkt, 0, 0, timeout);
}

async function run() {
  // ---- connect and identify
  console.log(`esptool-js-client: ${opts.host}:${opts.port}, expecting ${opts.chip || "any chip"}`);
  try {
    await loader.main("no_reset");
    pass("connect (no reset), sync, detect, load stub");
  } catch (err) {
    fail("connect (no reset), sync, detect, load stub", err.message);
    return;
  }
  const chipName = loader.chip.CHIP_NAME;
  const description = await loader.chip.getChipDescription(loader);
  const mac = await loader.chip.readMac(loader);
  // esptool-js measures the crystal from the UART divider at the current host rate, so asking
  // again after the baud change would be wrong; take the value main() printed at 115200
  const crystalLine = terminal.lines.find((l) => l.startsWith("Crystal is "));
  const crystal = crystalLine ? crystalLine.slice("Crystal is ".length) : "unknown";
  const features = await loader.chip.getChipFeatures(loader);
  let flashId = (await loader.readFlashId()) >>> 0;
  let detected = await loader.detectFlashSize();
  if (chipName === "ESP8266" && !detected) {
    // esptool-js 0.7.0 defect: for the ESP8266 it takes SPI_MOSI_DLEN_OFFS = 0 ("none") for a
    // register offset and writes the read length (23) to SPI_CMD (0x60000200) instead of putting
    // it into SPI_USR1 bits 8.. (0x60000220), so the RDID reads back only one byte. Run the
    // sequence the ESP8266 needs through esptool-js's own register commands instead.
    warn(
      "esptool-js RDID on ESP8266",
      `got ${hex(flashId, 6)}: esptool-js 0.7.0 writes the MISO length to SPI_CMD, not SPI_USR1; ` +
        "reading the JEDEC id with the ESP8266 register sequence instead",
    );
    flashId = (await readFlashIdEsp8266()) >>> 0;
    detected = loader.DETECTED_FLASH_SIZES[(flashId >> 16) & 0xff];
  }
  info("chip", chipName);
  info("description", description);
  info("features", Array.isArray(features) ? features.map((f) => f.trim()).join(", ") : String(features));
  info("crystal", crystal);
  info("MAC", mac);
  info("flash id", `${hex(flashId, 6)} (manufacturer ${hex(flashId & 0xff, 2)}, device ${hex((flashId >> 8) & 0xffff, 4)})`);
  info("flash size", detected || "unknown");
  const stubJson = await getStubJsonByChipName(chipName);
  info(
    "stub",
    (loader.IS_STUB ? "running" : "not running") +
      (stubJson
        ? `; esptool-js's image for ${chipName}: text ${stubJson.decodedText.length} B @ ${hex(stubJson.text_start)}, ` +
          `data ${stubJson.decodedData.length} B @ ${hex(stubJson.data_start)}, entry ${hex(stubJson.entry)}`
        : "; esptool-js has no stub image for this chip"),
  );
  info("baud", `${transport.baudrate} (TCP: rate changes are recorded only: ${port.baudChanges.join(", ") || "none"})`);

  if (opts.chip) {
    const exp = CHIP_EXPECT[opts.chip];
    if (exp) {
      check(chipName === exp.name, "chip name", `${chipName}, expected ${exp.name}`);
      check(exp.description.test(description), "chip description", `${description}, expected ${exp.description}`);
    } else {
      info("note", `no expectations recorded for --chip ${opts.chip}`);
    }
  }
  check(loader.IS_STUB, "flasher stub running");
  check(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(mac) && mac !== "00:00:00:00:00:00" && mac !== "ff:ff:ff:ff:ff:ff", "MAC plausible", mac);
  check(flashId !== 0xffffff && flashId !== 0 && flashId !== 0xffff3f, "flash answers RDID", hex(flashId, 6));
  if (!detected) {
    fail("flash size detected from the JEDEC id");
    return;
  }
  flashSize = parseSize(detected);
  if (opts.size) {
    check(flashSize === parseSize(opts.size), "flash size", `${detected}, expected ${opts.size}`);
  }
  if (opts.baud !== 115200) {
    check(port.baudChanges.includes(opts.baud), "baud rate change accepted", `${opts.baud}`);
  }

  // ---- back up the whole flash
  let backup;
  try {
    backup = await readAll("backup");
    check(backup.length === flashSize, "backup: readFlash whole flash", `${backup.length} bytes, md5 ${md5hex(backup)}`);
  } catch (err) {
    fail("backup: readFlash whole flash", err.message);
    return;
  }
  model = new Uint8Array(backup);
  if (opts.outDir) fs.writeFileSync(path.join(opts.outDir, "backup.bin"), backup);
  const devMd5 = await md5OfFlash(0, flashSize);
  check(devMd5 === md5hex(backup), "backup: SPI_FLASH_MD5 of whole flash matches the data read", devMd5);

  // ---- erase the whole chip
  try {
    await loader.eraseFlash();
    pass("eraseFlash (whole chip)");
  } catch (err) {
    fail("eraseFlash (whole chip)", err.message);
  }
  model.fill(0xff);
  const blank = new Uint8Array(flashSize).fill(0xff);
  check((await md5OfFlash(0, flashSize)) === md5hex(blank), "erased: SPI_FLASH_MD5 equals all-0xFF");
  if (opts.thorough) {
    const erased = await readAll("erased");
    check(firstDifference(erased, blank) < 0, "erased: readFlash shows all 0xFF", describeDifference(erased, blank, 0));
  } else {
    for (const off of [0, flashSize / 2, flashSize - 0x10000]) {
      const part = await readRegion(off, 0x10000);
      check(part.every((b) => b === 0xff), `erased: 64 KB at ${hex(off)} is all 0xFF`);
    }
  }

  // ---- restore the backup (what a user's restore does)
  await writeImage("restore", 0, backup, true);

  // ---- test images
  const images = [
    // [label, offset, data, compress]
    ["image A (random, sector aligned)", 0x10000, testPattern(0x23457, 0xa5a5a5a5), true],
    ["image B (records, compressible)", flashSize / 2, recordPattern(Math.min(0x40000, flashSize / 4), "B"), true],
    ["image C (random, unaligned offset)", flashSize - 0x2800, testPattern(0x1801, 0x1234), true],
    ["image D (random, uncompressed)", 0x40000, testPattern(0x9001, 0xbeef), false],
    ["image E (zeros at 0)", 0x0, new Uint8Array(0x2000), true],
  ];
  for (const [label, offset, data, compress] of images) {
    await writeImage(label, offset, data, compress);
  }

  // ---- erase a region and check its neighbourhood
  const eraseOff = 0x12000;
  const eraseLen = 0x4000;
  try {
    await eraseRegion(eraseOff, eraseLen);
    pass(`ERASE_REGION ${hex(eraseOff)} + ${hex(eraseLen)}`);
  } catch (err) {
    fail(`ERASE_REGION ${hex(eraseOff)} + ${hex(eraseLen)}`, err.message);
  }
  model.fill(0xff, eraseOff, eraseOff + eraseLen);
  const around = await readRegion(eraseOff - SECTOR, eraseLen + 2 * SECTOR);
  const aroundExpected = model.subarray(eraseOff - SECTOR, eraseOff + eraseLen + SECTOR);
  check(
    firstDifference(around, aroundExpected) < 0,
    "erased region is 0xFF and its neighbours are untouched",
    describeDifference(around, aroundExpected, eraseOff - SECTOR),
  );

  // ---- whole flash, final state
  const final = await readAll("final");
  check(firstDifference(final, model) < 0, "final: readFlash of whole flash matches the expected image", describeDifference(final, model, 0));
  check((await md5OfFlash(0, flashSize)) === md5hex(model), "final: SPI_FLASH_MD5 matches the expected image");
  if (opts.outDir) {
    fs.writeFileSync(path.join(opts.outDir, "final-read.bin"), final);
    fs.writeFileSync(path.join(opts.outDir, "expected-final.bin"), model);
  }

  // leave the chip in the stub (a TCP bridge cannot reset it)
  await loader.after("no_reset_stub");
  secondSessionExpected = md5hex(model);
}

// A second connection: the chip kept running the stub, so SYNC must come back with value 0 and
// esptool-js must skip the upload; the flash must still hold what the first session left.
let secondSessionExpected = null;
async function secondSession() {
  const port2 = new TcpSerialPort(opts.host, opts.port, (m) => console.log(`      ~ ${m}`));
  const transport2 = new Transport(port2, opts.trace);
  const loader2 = new ESPLoader({ transport: transport2, baudrate: 115200, romBaudrate: 115200, terminal, debugLogging: opts.debug });
  try {
    await loader2.main("no_reset");
    check(loader2.syncStubDetected && loader2.IS_STUB, "reconnect: SYNC reports the stub still running (value 0), no upload");
    const md5 = (await loader2.flashMd5sum(0, flashSize)).toLowerCase();
    check(md5 === secondSessionExpected, "reconnect: flash unchanged between connections", md5);
  } catch (err) {
    fail("reconnect: second session", err.message);
  } finally {
    try {
      await transport2.disconnect();
    } catch {
      // best effort
    }
  }
}

let crashed = null;
try {
  await run();
} catch (err) {
  crashed = err;
  fail("unexpected error", err && err.stack ? err.stack : String(err));
}
try {
  await transport.disconnect();
} catch {
  // best effort
}
if (!crashed && secondSessionExpected !== null) await secondSession();
console.log(
  `esptool-js-client: ${passes} checks passed, ${failures} failed` +
    ` (first connection: ${port.bytesOut} bytes sent, ${port.bytesIn} received)`,
);
process.exit(failures || crashed ? 1 : 0);
