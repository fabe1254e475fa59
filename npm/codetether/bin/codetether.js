#!/usr/bin/env node
// `npx codetether ...`: fetch the standalone CodeTether build of this package's version for this
// platform (once), verify it against the release's SHA256SUMS, and run it with the given arguments.
// No dependencies: node's own http(s), zlib and crypto. Linux and macOS get the one-dir build
// (a .tar.gz, fast start); Windows gets the one-file .exe (node has no unzip).
"use strict";

const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawn } = require("child_process");
const zlib = require("zlib");

const VERSION = require("../package.json").version;
const DEFAULT_BASE = `https://github.com/codetether/codetether/releases/download/v${VERSION}`;
const OS_TAGS = { linux: "linux", darwin: "macos", win32: "windows" };
const ARCH_TAGS = { x64: "x86_64", arm64: "aarch64" };

// Every expected failure is one line on stderr and exit code 1; the thrown error unwinds cleanup first.
class Failure extends Error {}

function fail(message) {
  throw new Failure(message);
}

function platformTag() {
  const osTag = OS_TAGS[process.platform];
  const archTag = ARCH_TAGS[process.arch];
  if (!osTag || !archTag) {
    fail(`unsupported platform: ${process.platform} ${process.arch} (builds exist for Linux, macOS and Windows on x64 and arm64; elsewhere: pipx run codetether)`);
  }
  return `${osTag}-${archTag}`;
}

function cacheRoot() {
  if (process.env.CODETETHER_NPM_CACHE) return process.env.CODETETHER_NPM_CACHE;
  if (process.platform === "win32") {
    return path.join(process.env.LOCALAPPDATA || path.join(os.homedir(), "AppData", "Local"), "codetether-agent", "npm");
  }
  const xdg = process.env.XDG_CACHE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), ".cache"), "codetether-agent", "npm");
}

// GET a URL (following redirects: release downloads redirect to a CDN) or read a file:// URL or folder.
function fetch(base, name, redirects = 5) {
  const location = base.replace(/\/+$/, "") + "/" + name;
  if (/^file:\/\//.test(base)) return readLocal(new URL(location));
  if (!/^https?:\/\//.test(base)) {
    if (/^[A-Za-z][A-Za-z0-9+.-]+:\/\//.test(base)) fail(`unsupported CODETETHER_DOWNLOAD_BASE ${base} (use http(s)://, file:// or a folder)`);
    return readLocal(path.join(base, name));
  }
  return get(location, redirects);
}

function readLocal(where) {
  return fs.promises.readFile(where).catch(() => fail(`cannot read ${where}`));
}

function get(url, redirects) {
  const client = url.startsWith("https:") ? require("https") : require("http");
  return new Promise((resolve, reject) => {
    const failed = (message) => reject(new Failure(message));
    const request = client.get(url, { headers: { "user-agent": `codetether-npm/${VERSION}` } }, (response) => {
      const { statusCode, headers } = response;
      if (statusCode >= 300 && statusCode < 400 && headers.location && redirects > 0) {
        response.resume();
        resolve(get(new URL(headers.location, url).toString(), redirects - 1));
        return;
      }
      if (statusCode !== 200) {
        response.resume();
        failed(`cannot download ${url}: HTTP ${statusCode}`);
        return;
      }
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", () => resolve(Buffer.concat(chunks)));
      response.on("error", (error) => failed(`download of ${url} broke off: ${error.message}`));
    });
    request.setTimeout(60000, () => request.destroy(new Error("no answer for 60 s")));
    request.on("error", (error) => failed(`cannot download ${url}: ${error.message}`));
  });
}

function expectedSum(sums, name) {
  for (const line of sums.toString("utf8").split(/\r?\n/)) {
    const match = /^([0-9a-fA-F]{64})\s+\*?(.+)$/.exec(line.trim());
    if (match && match[2] === name) return match[1].toLowerCase();
  }
  fail(`the release's SHA256SUMS does not list ${name}`);
}

// A .tar.gz (ustar, with pax and GNU long names as Python's tarfile writes them) unpacked into dest.
function untar(gzipped, dest) {
  const data = zlib.gunzipSync(gzipped);
  let offset = 0;
  let longName = null;
  let pax = {};
  while (offset + 512 <= data.length) {
    const header = data.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const field = (start, length) => header.subarray(start, start + length).toString("utf8").replace(/\0.*$/s, "");
    const size = parseInt(field(124, 12).trim() || "0", 8);
    const type = String.fromCharCode(header[156] || 48);
    const body = data.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === "x") {
      pax = parsePax(body);
      continue;
    }
    if (type === "g") continue;
    if (type === "L") {
      longName = body.toString("utf8").replace(/\0.*$/s, "");
      continue;
    }
    const prefix = field(345, 155);
    let name = pax.path || longName || (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    const linkName = pax.linkpath || field(157, 100);
    pax = {};
    longName = null;
    name = name.replace(/\/+$/, "");
    if (!name || name.split("/").includes("..") || path.isAbsolute(name)) fail(`unsafe path in the archive: ${name}`);
    const target = path.join(dest, name);
    const mode = parseInt(field(100, 8).trim() || "644", 8) & 0o777;
    if (type === "5") {
      fs.mkdirSync(target, { recursive: true });
    } else if (type === "0" || type === "\0" || type === "7") {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, body, { mode });
      fs.chmodSync(target, mode);
    } else if (type === "2") {
      if (path.isAbsolute(linkName) || path.normalize(path.join(path.dirname(name), linkName)).startsWith("..")) {
        fail(`unsafe link in the archive: ${name} -> ${linkName}`);
      }
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.symlinkSync(linkName, target);
    } else {
      fail(`unexpected entry type ${JSON.stringify(type)} in the archive: ${name}`);
    }
  }
}

function parsePax(body) {
  const records = {};
  let text = body.toString("utf8");
  while (text.length) {
    const space = text.indexOf(" ");
    const length = parseInt(text.slice(0, space), 10);
    if (!(length > 0)) break;
    const record = text.slice(space + 1, length - 1);
    const equals = record.indexOf("=");
    records[record.slice(0, equals)] = record.slice(equals + 1);
    text = text.slice(length);
  }
  return records;
}

async function ensureBinary() {
  const platform = platformTag();
  const windows = platform.startsWith("windows");
  const versionDir = path.join(cacheRoot(), VERSION);
  const binary = windows ? path.join(versionDir, `codetether-${VERSION}.exe`) : path.join(versionDir, "codetether", "codetether");
  if (fs.existsSync(binary)) return binary; // only ever renamed into place after its checksum matched
  const base = process.env.CODETETHER_DOWNLOAD_BASE || DEFAULT_BASE;
  const artifact = windows ? `codetether-${VERSION}-${platform}.exe` : `codetether-${VERSION}-${platform}.tar.gz`;
  process.stderr.write(`codetether: downloading ${artifact} (once; cached in ${versionDir})\n`);
  const sums = await fetch(base, "SHA256SUMS");
  const expected = expectedSum(sums, artifact);
  const data = await fetch(base, artifact);
  const actual = crypto.createHash("sha256").update(data).digest("hex");
  if (actual !== expected) {
    fail(`checksum mismatch for ${artifact} (expected ${expected}, got ${actual}): the download is corrupt or was tampered with; refusing to run it`);
  }
  fs.mkdirSync(versionDir, { recursive: true });
  const partial = fs.mkdtempSync(path.join(versionDir, ".partial-"));
  try {
    if (windows) {
      fs.writeFileSync(path.join(partial, "codetether.exe"), data, { mode: 0o755 });
      fs.renameSync(path.join(partial, "codetether.exe"), binary);
    } else {
      untar(data, partial);
      if (!fs.existsSync(path.join(partial, "codetether", "codetether"))) fail(`${artifact} does not hold codetether/codetether`);
      try {
        fs.renameSync(path.join(partial, "codetether"), path.join(versionDir, "codetether"));
      } catch (error) {
        if (!fs.existsSync(binary)) throw error; // a concurrent first run got there first: use its copy
      }
    }
  } finally {
    fs.rmSync(partial, { recursive: true, force: true });
  }
  return binary;
}

async function main() {
  const binary = await ensureBinary();
  const child = spawn(binary, process.argv.slice(2), { stdio: "inherit" });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(signal, () => child.kill(signal)); // the child decides how to stop; we follow it
  }
  child.on("error", (error) => {
    process.stderr.write(`codetether: cannot start ${binary}: ${error.message}\n`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else {
      process.exit(code === null ? 1 : code);
    }
  });
}

main().catch((error) => {
  process.stderr.write(`codetether: ${error instanceof Failure ? error.message : error && error.stack}\n`);
  process.exit(1);
});
