import { execFile } from "node:child_process";
import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { crc32, createDeflateRaw, deflateRawSync, deflateSync } from "node:zlib";
import JSZip from "jszip";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidArgumentError, ReaderError } from "../../src/errors/index.js";
import { openDocxZip } from "../../src/ingestion/readers/docx-to-text.js";
import { LimitExceededError } from "../../src/ingestion/readers/limits.js";
import {
  DEFAULT_MAX_UNCOMPRESSED_SIZE,
  SimpleDirectoryReader,
  type SimpleDirectoryReaderOptions,
} from "../../src/ingestion/readers/simple-directory-reader.js";
import { readZipDirectory } from "../../src/ingestion/readers/zip-directory.js";
import { MetadataMode } from "../../src/schema/node.js";

const DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "streamdex-formats-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(name: string, content: string | Uint8Array): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, content);
  return file;
}

function quietReader(options: SimpleDirectoryReaderOptions = {}) {
  const warnings: string[] = [];
  const reader = new SimpleDirectoryReader({ ...options, onWarning: (message) => warnings.push(message) });
  return { reader, warnings };
}

const hex = (byte: number, count: number): string => byte.toString(16).padStart(2, "0").repeat(count);

/**
 * A minimal PDF: one page per entry of `pages`, each line drawn with a `Tj` operator in Helvetica (a standard
 * Type1 font, so no font file is embedded). With `encrypted`, the file declares the standard security handler
 * with a user password, which pdf.js cannot open without it. With `deflate`, the content streams are compressed
 * (`/FlateDecode`), as most PDF writers do.
 */
function makePdf(pages: string[][], { encrypted = false, deflate = false } = {}): Uint8Array {
  const objects: string[] = [];
  const font = 3 + pages.length * 2;
  objects[1] = "<< /Type /Catalog /Pages 2 0 R >>";
  const kids = pages.map((_, i) => `${3 + i * 2} 0 R`).join(" ");
  objects[2] = `<< /Type /Pages /Kids [${kids}] /Count ${pages.length} >>`;
  pages.forEach((lines, i) => {
    const shown = lines.map((line) => `(${line.replace(/[\\()]/g, (c) => `\\${c}`)}) Tj T*`).join(" ");
    const content = `BT /F1 12 Tf 72 720 Td 14 TL ${shown} ET`;
    objects[3 + i * 2] =
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] ` +
      `/Resources << /Font << /F1 ${font} 0 R >> >> /Contents ${4 + i * 2} 0 R >>`;
    // Binary stream data is kept in the string as latin1, one character per byte.
    const data = deflate ? deflateSync(content).toString("latin1") : content;
    const filter = deflate ? " /Filter /FlateDecode" : "";
    objects[4 + i * 2] = `<< /Length ${data.length}${filter} >>\nstream\n${data}\nendstream`;
  });
  objects[font] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
  if (encrypted) {
    objects[font + 1] =
      `<< /Filter /Standard /V 1 /R 2 /O <${hex(0xab, 32)}> /U <${hex(0xcd, 32)}> /P -44 >>`;
  }
  let out = "%PDF-1.4\n";
  const offsets: number[] = [];
  for (let n = 1; n < objects.length; n++) {
    offsets[n] = out.length;
    out += `${n} 0 obj\n${objects[n]}\nendobj\n`;
  }
  const xref = out.length;
  out += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let n = 1; n < objects.length; n++) out += `${String(offsets[n]).padStart(10, "0")} 00000 n \n`;
  const encryption = encrypted ? ` /Encrypt ${font + 1} 0 R /ID [<${hex(1, 16)}> <${hex(1, 16)}>]` : "";
  out += `trailer\n<< /Size ${objects.length} /Root 1 0 R${encryption} >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, "latin1");
}

const CONTENT_TYPES_XML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>`;
const PACKAGE_RELS_XML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
</Relationships>`;
const DOCUMENT_START = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`;
const DOCUMENT_END = "</w:body></w:document>";

/** A minimal DOCX: a zip with the content types, the package relationships and `word/document.xml`. */
async function makeDocx(paragraphs: string[]): Promise<Uint8Array> {
  const zip = new JSZip();
  zip.file("[Content_Types].xml", CONTENT_TYPES_XML);
  zip.file("_rels/.rels", PACKAGE_RELS_XML);
  const body = paragraphs.map((p) => `<w:p><w:r><w:t xml:space="preserve">${p}</w:t></w:r></w:p>`).join("");
  zip.file("word/document.xml", DOCUMENT_START + body + DOCUMENT_END);
  return zip.generateAsync({ type: "uint8array" });
}

/** One entry of {@link rawZip}: its data as stored, and the size and CRC-32 its headers declare. */
interface RawEntry {
  name: string;
  /** 0: stored, 8: deflated. */
  method: 0 | 8;
  data: Uint8Array;
  size: number;
  crc: number;
}

const deflated = (name: string, text: string): RawEntry => {
  const bytes = Buffer.from(text);
  return { name, method: 8, data: deflateRawSync(bytes), size: bytes.length, crc: crc32(bytes) };
};

/**
 * A zip written byte by byte (JSZip computes the sizes itself): for entries whose data was compressed elsewhere,
 * or whose headers declare another size than the data unpacks to.
 */
function rawZip(entries: RawEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(entry.method, 8);
    local.writeUInt32LE(entry.crc, 14);
    local.writeUInt32LE(entry.data.length, 18);
    local.writeUInt32LE(entry.size, 22);
    local.writeUInt16LE(name.length, 26);
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(entry.method, 10);
    header.writeUInt32LE(entry.crc, 16);
    header.writeUInt32LE(entry.data.length, 20);
    header.writeUInt32LE(entry.size, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE(offset, 42);
    parts.push(local, name, entry.data);
    central.push(header, name);
    offset += local.length + name.length + entry.data.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}

/**
 * A zip bomb shaped as a DOCX: `word/document.xml` holds `mib` MiB of spaces, deflated as it is generated (1 MiB
 * at a time: the test never holds the XML), so the file is about 1 KiB per MiB of XML.
 */
async function docxBomb(mib: number): Promise<{ bytes: Uint8Array; xmlSize: number }> {
  const spaces = Buffer.alloc(1024 * 1024, " ");
  const chunks = [Buffer.from(DOCUMENT_START), ...Array<Buffer>(mib).fill(spaces), Buffer.from(DOCUMENT_END)];
  let crc = 0;
  for (const chunk of chunks) crc = crc32(chunk, crc);
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    createDeflateRaw({ level: 9 }),
    async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) out.push(chunk);
    },
  );
  const xmlSize = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const bytes = rawZip([
    deflated("[Content_Types].xml", CONTENT_TYPES_XML),
    deflated("_rels/.rels", PACKAGE_RELS_XML),
    { name: "word/document.xml", method: 8, data: Buffer.concat(out), size: xmlSize, crc },
  ]);
  return { bytes, xmlSize };
}

const PAGES = [["Page one, line one.", "Page one (line two)."], ["Page two text."]];

describe("SimpleDirectoryReader document formats", () => {
  it("reads .pdf, .docx and .csv by default, with their MIME types", async () => {
    await put("a.pdf", makePdf(PAGES));
    await put("b.docx", await makeDocx(["Hello."]));
    await put("c.csv", "x,y\n1,2");
    await put("d.md", "# Notes");
    const { reader, warnings } = quietReader();
    const docs = await reader.loadData(dir);
    expect(docs.map((d) => [d.metadata.file_name, d.metadata.file_type])).toEqual([
      ["a.pdf", "application/pdf"],
      ["b.docx", DOCX_MIME],
      ["c.csv", "text/csv"],
      ["d.md", "text/markdown"],
    ]);
    expect(warnings).toEqual([]);
  });

  it("reads a PDF as one Document, pages separated by blank lines, with page_count", async () => {
    const file = await put("report.pdf", makePdf(PAGES));
    const [doc, ...rest] = await quietReader().reader.loadData(dir);
    expect(rest).toEqual([]);
    expect(doc!.id).toBe(file);
    expect(doc!.text).toBe("Page one, line one.\nPage one (line two).\n\nPage two text.");
    expect(doc!.metadata).toMatchObject({ file_type: "application/pdf", page_count: 2 });
    expect(doc!.getMetadataStr(MetadataMode.LLM)).toBe("file_name: report.pdf");
  });

  it('reads a PDF as one Document per page with pdfPages: "split"', async () => {
    const file = await put("report.pdf", makePdf(PAGES));
    const docs = await quietReader({ pdfPages: "split" }).reader.loadData(dir);
    expect(docs.map((d) => [d.id, d.text, d.metadata.page_label, d.metadata.page_count])).toEqual([
      [`${file}#page=1`, "Page one, line one.\nPage one (line two).", "1", 2],
      [`${file}#page=2`, "Page two text.", "2", 2],
    ]);
    expect(docs[0]!.getMetadataStr(MetadataMode.LLM)).toBe("file_name: report.pdf\npage_label: 1");
  });

  it("reads a DOCX's paragraphs", async () => {
    await put("memo.docx", await makeDocx(["First paragraph.", "Second &amp; last paragraph."]));
    const [doc] = await quietReader().reader.loadData(dir);
    expect(doc!.text).toBe("First paragraph.\n\nSecond & last paragraph.");
    expect(doc!.metadata.file_type).toBe(DOCX_MIME);
  });

  it("reads a CSV as column: value lines, with quoted commas, quotes and newlines", async () => {
    await put(
      "people.csv",
      'name,notes,city\r\n"Lovelace, Ada","Wrote the first program.\nLoved ""engines"".",London\r\nTuring,,Wilmslow\r\n',
    );
    const [doc] = await quietReader().reader.loadData(dir);
    expect(doc!.text).toBe(
      'name: Lovelace, Ada\nnotes: Wrote the first program.\nLoved "engines".\ncity: London\n\n' +
        "name: Turing\ncity: Wilmslow",
    );
  });

  it("reads the main text of an HTML page, not its navigation, header, footer or asides", async () => {
    const chrome = `<header><a href="/">SITE-BANNER</a></header><nav><ul><li>NAV-HOME</li></ul></nav>
      <div role="navigation">ROLE-NAV</div><div role="banner">ROLE-BANNER</div>
      <aside>ASIDE-PROMO</aside><form><label>FORM-SEARCH</label></form>
      <footer>FOOTER-COPYRIGHT</footer><div role="contentinfo">ROLE-INFO</div>`;
    const absent =
      /SITE-BANNER|NAV-HOME|ROLE-NAV|ROLE-BANNER|ASIDE-PROMO|FORM-SEARCH|FOOTER-COPYRIGHT|ROLE-INFO/;
    await put(
      "a-main.html",
      `<html><body>${chrome}<p>OUTSIDE-MAIN</p><main><article><header><h1>River Guide</h1></header>
       <p>The Danube flows east.</p><aside>INNER-ASIDE</aside><footer>ARTICLE-FOOTER</footer></article></main>
       ${chrome}</body></html>`,
    );
    await put(
      "b-article.html",
      `<html><body>${chrome}<p>OUTSIDE-ARTICLE</p><article><h2>Alps</h2><p>High mountains.</p></article></body></html>`,
    );
    await put(
      "c-body.html",
      `<html><body>${chrome}<h1>Plain page</h1><p>Body text only.</p>${chrome}</body></html>`,
    );
    const { reader, warnings } = quietReader();
    const [main, article, body] = await reader.loadData(dir);
    expect(warnings).toEqual([]);
    expect(main!.text).toBe("River Guide\n\nThe Danube flows east.");
    expect(article!.text).toBe("Alps\n\nHigh mountains.");
    expect(body!.text).toBe("Plain page\n\nBody text only.");
    for (const doc of [main, article, body]) {
      expect(doc!.text).not.toMatch(absent);
      expect(doc!.text).not.toMatch(/OUTSIDE|INNER-ASIDE|ARTICLE-FOOTER/);
    }
  });

  it("skips corrupt and encrypted PDFs, a corrupt DOCX and a malformed CSV with warnings naming them", async () => {
    await put("good.txt", "Fine.");
    const badPdf = await put("broken.pdf", "%PDF-1.4\nthis is not a real PDF body\n%%EOF\n");
    const lockedPdf = await put("locked.pdf", makePdf(PAGES, { encrypted: true }));
    const badDocx = await put("broken.docx", new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4, 5]));
    const notWord = await put(
      "not-word.docx",
      await (async () => {
        const zip = new JSZip();
        zip.file("hello.txt", "not a Word document");
        return zip.generateAsync({ type: "uint8array" });
      })(),
    );
    const badCsv = await put("broken.csv", 'a,b\n"never closed,1\n2,3\n');
    const emptyPdf = await put("empty.pdf", "");
    const { reader, warnings } = quietReader();
    const docs = await reader.loadData(dir);
    expect(docs.map((d) => d.metadata.file_name)).toEqual(["good.txt"]);
    const find = (file: string) => warnings.find((w) => w.includes(file)) ?? "";
    expect(warnings).toHaveLength(6);
    expect(find(badPdf)).toMatch(/not a readable PDF/);
    expect(find(lockedPdf)).toMatch(/encrypted with a password/);
    expect(find(badDocx)).toMatch(/not a readable DOCX/);
    expect(find(notWord)).toMatch(/not a readable DOCX/);
    expect(find(badCsv)).toMatch(/malformed CSV/);
    expect(find(emptyPdf)).toMatch(/empty/);

    const error = await new SimpleDirectoryReader({ onError: "error" })
      .loadData({ inputFiles: [badPdf] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReaderError);
    expect((error as ReaderError).filePath).toBe(badPdf);
  });

  it("skips a file over maxFileSize, checked before reading it, or throws with onError: 'error'", async () => {
    await put("small.txt", "Fine.");
    const big = await put("big.txt", "x".repeat(2048));
    const { reader, warnings } = quietReader({ maxFileSize: 1024 });
    expect((await reader.loadData(dir)).map((d) => d.text)).toEqual(["Fine."]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(big);
    expect(warnings[0]).toMatch(/2 KiB \(2048 bytes\), over the 1 KiB limit; raise the maxFileSize option/);

    const error = await new SimpleDirectoryReader({ maxFileSize: 1024, onError: "error" })
      .loadData(dir)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReaderError);
    expect((error as ReaderError).filePath).toBe(big);
    expect((error as ReaderError).message).toMatch(/maxFileSize/);
  });

  it("skips files over the default 50 MiB limit (a sparse file: never read)", async () => {
    const huge = await put("huge.pdf", "");
    await truncate(huge, 51 * 1024 * 1024);
    const { reader, warnings } = quietReader();
    expect(await reader.loadData(dir)).toEqual([]);
    expect(warnings).toEqual([
      `Skipped ${huge}: it is 51 MiB (53477376 bytes), over the 50 MiB limit; raise the maxFileSize option (in bytes) to read it.`,
    ]);
  });

  it("rejects invalid maxFileSize, maxUncompressedSize and pdfPages", () => {
    for (const size of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, "1" as never]) {
      expect(() => new SimpleDirectoryReader({ maxFileSize: size })).toThrow(InvalidArgumentError);
      expect(() => new SimpleDirectoryReader({ maxUncompressedSize: size })).toThrow(/maxUncompressedSize/);
    }
    expect(() => new SimpleDirectoryReader({ pdfPages: "pages" as never })).toThrow(InvalidArgumentError);
  });

  it("imports the PDF, DOCX and CSV parsers only when such a file is read", async () => {
    const pdf = await put("probe.pdf", makePdf(PAGES));
    const probe = await put(
      "probe.mjs",
      `import { register } from "node:module";
import { MessageChannel } from "node:worker_threads";
const { port1, port2 } = new MessageChannel();
const loaded = [];
port1.on("message", (url) => loaded.push(url));
port1.unref();
const hooks = \`let port; export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) { const r = await next(specifier, context); port.postMessage(r.url); return r; }\`;
register("data:text/javascript," + encodeURIComponent(hooks), { data: { port: port2 }, transferList: [port2] });
const heavy = () => loaded.filter((url) => /node_modules\\/(unpdf|mammoth|csv-parse|jszip)\\//.test(url));
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
const { SimpleDirectoryReader } = await import(process.argv[2]);
await settle();
const atImport = heavy();
await new SimpleDirectoryReader().loadData(process.argv[3]);
await settle();
console.log(JSON.stringify({ total: loaded.length, atImport, afterPdf: heavy() }));
`,
    );
    const root = path.resolve(import.meta.dirname, "../..");
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", probe, path.join(root, "src/index.ts"), pdf],
      { cwd: root },
    );
    const result = JSON.parse(stdout) as { total: number; atImport: string[]; afterPdf: string[] };
    expect(result.total).toBeGreaterThan(20);
    expect(result.atImport).toEqual([]);
    // The probe does see the parser once a PDF is read.
    expect(result.afterPdf.some((url) => url.includes("/unpdf/"))).toBe(true);
  });
});

describe("SimpleDirectoryReader on files that unpack to more than their size", () => {
  it("reads a zip's declared sizes from its central directory, unpacking nothing", async () => {
    const { bytes, xmlSize } = await docxBomb(96);
    expect(bytes.length).toBeLessThan(200 * 1024);
    const entries = readZipDirectory(bytes);
    expect(entries.map((e) => [e.name, e.uncompressedSize])).toEqual([
      ["[Content_Types].xml", Buffer.byteLength(CONTENT_TYPES_XML)],
      ["_rels/.rels", Buffer.byteLength(PACKAGE_RELS_XML)],
      ["word/document.xml", xmlSize],
    ]);
    expect(xmlSize).toBeGreaterThan(96 * 1024 * 1024);
  });

  it("refuses a DOCX part that would take it over maxUncompressedSize before unpacking any of it", async () => {
    const { bytes, xmlSize } = await docxBomb(96);
    const zip = openDocxZip(bytes, DEFAULT_MAX_UNCOMPRESSED_SIZE);
    // The small parts are read; the document is refused on its declared size.
    expect(await zip.read("_rels/.rels", "utf-8")).toBe(PACKAGE_RELS_XML);
    const error = await zip.read("word/document.xml", "utf-8").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LimitExceededError);
    const total = xmlSize + Buffer.byteLength(PACKAGE_RELS_XML);
    expect((error as Error).message).toBe(
      `it unpacks to at least 96 MiB (${total} bytes; word/document.xml alone is 96 MiB), over the 16 MiB ` +
        "limit on what a DOCX may unpack to; raise the maxUncompressedSize option (in bytes) to read it",
    );

    // Proof that nothing was unpacked: with its data replaced by bytes that are not deflate data at all, the
    // part is refused the same way (unpacking it would have failed on the data instead).
    const garbage = rawZip([
      deflated("[Content_Types].xml", CONTENT_TYPES_XML),
      deflated("_rels/.rels", PACKAGE_RELS_XML),
      { name: "word/document.xml", method: 8, data: new Uint8Array(64).fill(0xff), size: xmlSize, crc: 0 },
    ]);
    await expect(
      openDocxZip(garbage, DEFAULT_MAX_UNCOMPRESSED_SIZE).read("word/document.xml"),
    ).rejects.toThrow(LimitExceededError);
    await expect(openDocxZip(garbage, 2 * xmlSize).read("word/document.xml")).rejects.toThrow(
      /cannot be unpacked/,
    );
  });

  it("skips a DOCX over maxUncompressedSize with a warning naming it, and reads the rest of the folder", async () => {
    await put("good.txt", "Fine.");
    await put("memo.docx", await makeDocx(["Still read."]));
    // 1.1 MiB of XML in a ~5 KiB file.
    const zip = new JSZip();
    zip.file("[Content_Types].xml", CONTENT_TYPES_XML);
    zip.file("_rels/.rels", PACKAGE_RELS_XML);
    const paragraph = "<w:p><w:r><w:t>lorem ipsum dolor sit amet</w:t></w:r></w:p>";
    zip.file("word/document.xml", DOCUMENT_START + paragraph.repeat(20_000) + DOCUMENT_END);
    const bombBytes = await zip.generateAsync({ type: "uint8array", compression: "DEFLATE" });
    expect(bombBytes.length).toBeLessThan(16 * 1024);
    const bomb = await put("bomb.docx", bombBytes);

    const { reader, warnings } = quietReader({ maxUncompressedSize: 512 * 1024 });
    const docs = await reader.loadData(dir);
    expect(docs.map((d) => [d.metadata.file_name, d.text])).toEqual([
      ["good.txt", "Fine."],
      ["memo.docx", "Still read."],
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      new RegExp(
        `^Skipped ${bomb}: it unpacks to at least 1\\.1 MiB \\(\\d+ bytes; word/document\\.xml alone is 1\\.1 MiB\\), ` +
          "over the 512 KiB limit on what a DOCX may unpack to; raise the maxUncompressedSize option \\(in bytes\\) " +
          "to read it\\.$",
      ),
    );

    const error = await new SimpleDirectoryReader({ maxUncompressedSize: 512 * 1024, onError: "error" })
      .loadData(dir)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReaderError);
    expect((error as ReaderError).filePath).toBe(bomb);
    expect((error as ReaderError).message).toMatch(/over the 512 KiB limit.*maxUncompressedSize/);
    // Within the limit, it is read.
    const [doc] = await quietReader({ maxUncompressedSize: 2 * 1024 * 1024 }).reader.loadData({
      inputFiles: [bomb],
    });
    expect(doc!.text).toBe(Array(20_000).fill("lorem ipsum dolor sit amet").join("\n\n"));
  });

  it("stops unpacking a DOCX part at the size its zip declares (a lying directory is a corrupt file)", async () => {
    const xml = DOCUMENT_START + " ".repeat(1024 * 1024) + DOCUMENT_END;
    const lying = rawZip([
      deflated("[Content_Types].xml", CONTENT_TYPES_XML),
      deflated("_rels/.rels", PACKAGE_RELS_XML),
      { ...deflated("word/document.xml", xml), size: 1000 },
    ]);
    await expect(openDocxZip(lying, DEFAULT_MAX_UNCOMPRESSED_SIZE).read("word/document.xml")).rejects.toThrow(
      "word/document.xml unpacks to more than the 1000 bytes the zip's directory declares",
    );
    const file = await put("lying.docx", lying);
    const { reader, warnings } = quietReader();
    expect(await reader.loadData(dir)).toEqual([]);
    expect(warnings).toEqual([
      `Skipped ${file}: it cannot be converted to text (not a readable DOCX file: word/document.xml unpacks to ` +
        "more than the 1000 bytes the zip's directory declares).",
    ]);
  });

  it("reads a DOCX with bytes before its zip, as JSZip did", async () => {
    const docx = await makeDocx(["Behind a stub."]);
    await put("stub.docx", Buffer.concat([Buffer.from("MZ self-extracting stub\n"), docx]));
    const [doc] = await quietReader().reader.loadData(dir);
    expect(doc!.text).toBe("Behind a stub.");
  });

  it("skips a PDF whose text is longer than maxFileSize characters, and reads the rest of the folder", async () => {
    await put("good.txt", "Fine.");
    const line = "The quick brown fox jumps over the lazy dog again and again.";
    await put("small.pdf", makePdf([["Short page."]], { deflate: true }));
    // Six pages of 50 lines (the most that fit on a page: pdf.js drops text drawn off the page).
    const dense = makePdf(
      Array.from({ length: 6 }, () => Array<string>(50).fill(line)),
      { deflate: true },
    );
    expect(dense.length).toBeLessThan(4096);
    const file = await put("dense.pdf", dense);

    const { reader, warnings } = quietReader({ maxFileSize: 8192 });
    const docs = await reader.loadData(dir);
    expect(docs.map((d) => [d.metadata.file_name, d.text])).toEqual([
      ["good.txt", "Fine."],
      ["small.pdf", "Short page."],
    ]);
    expect(warnings).toEqual([
      `Skipped ${file}: its text is longer than the 8192-character limit on a PDF's text (reached on page 3 of 6); ` +
        "raise the maxFileSize option, which is also that limit, to read it.",
    ]);
    const [doc] = await quietReader().reader.loadData({ inputFiles: [file] });
    expect(doc!.text.length).toBeGreaterThan(6 * 50 * line.length);
  });
});
