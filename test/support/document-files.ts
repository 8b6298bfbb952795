// Document files written by the tests themselves (PDF, DOCX, raw zips), and a temporary folder per test.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { crc32, createDeflateRaw, deflateRawSync, deflateSync } from "node:zlib";
import JSZip from "jszip";
import { afterEach, beforeEach } from "vitest";
import { SimpleDirectoryReader, type SimpleDirectoryReaderOptions } from "../../src/index.js";

/** A fresh temporary folder for each test of the calling file: `folder.dir`, and `folder.put(name, content)`. */
export function useTempFolder(prefix: string): {
  readonly dir: string;
  put(name: string, content: string | Uint8Array): Promise<string>;
} {
  let dir = "";
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    async put(name, content) {
      const file = path.join(dir, name);
      await writeFile(file, content);
      return file;
    },
  };
}

/** A reader whose warnings are collected instead of printed. */
export function quietReader(options: SimpleDirectoryReaderOptions = {}) {
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
export function makePdf(pages: string[][], { encrypted = false, deflate = false } = {}): Uint8Array {
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

export const CONTENT_TYPES_XML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>`;
export const PACKAGE_RELS_XML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
</Relationships>`;
export const DOCUMENT_START = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`;
export const DOCUMENT_END = "</w:body></w:document>";

/** A minimal DOCX: a zip with the content types, the package relationships and `word/document.xml`. */
export async function makeDocx(paragraphs: string[]): Promise<Uint8Array> {
  const zip = new JSZip();
  zip.file("[Content_Types].xml", CONTENT_TYPES_XML);
  zip.file("_rels/.rels", PACKAGE_RELS_XML);
  const body = paragraphs.map((p) => `<w:p><w:r><w:t xml:space="preserve">${p}</w:t></w:r></w:p>`).join("");
  zip.file("word/document.xml", DOCUMENT_START + body + DOCUMENT_END);
  return zip.generateAsync({ type: "uint8array" });
}

/** One entry of {@link rawZip}: its data as stored, and the size and CRC-32 its headers declare. */
export interface RawEntry {
  name: string;
  /** 0: stored, 8: deflated. */
  method: 0 | 8;
  data: Uint8Array;
  size: number;
  crc: number;
}

export const deflated = (name: string, text: string): RawEntry => {
  const bytes = Buffer.from(text);
  return { name, method: 8, data: deflateRawSync(bytes), size: bytes.length, crc: crc32(bytes) };
};

/**
 * A zip written byte by byte (JSZip computes the sizes itself): for entries whose data was compressed elsewhere,
 * or whose headers declare another size than the data unpacks to.
 */
export function rawZip(entries: RawEntry[]): Uint8Array {
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
export async function docxBomb(mib: number): Promise<{ bytes: Uint8Array; xmlSize: number }> {
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
