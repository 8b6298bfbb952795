import JSZip from "jszip";
import { describe, expect, it } from "vitest";
import { ReaderError, SimpleDirectoryReader } from "../../src/index.js";
import { readDocxParts } from "../../src/ingestion/readers/docx-to-text.js";
import { LimitExceededError } from "../../src/ingestion/readers/limits.js";
import { DEFAULT_MAX_UNCOMPRESSED_SIZE } from "../../src/ingestion/readers/simple-directory-reader.js";
import { MAX_ZIP_ENTRIES, readZipDirectory } from "../../src/ingestion/readers/zip-directory.js";
import {
  CONTENT_TYPES_XML,
  DOCUMENT_END,
  DOCUMENT_START,
  deflated,
  docxBomb,
  makeDocx,
  makePdf,
  PACKAGE_RELS_XML,
  quietReader,
  rawZip,
  useTempFolder,
} from "../support/document-files.js";

const folder = useTempFolder("streamdex-limits-");
const put = folder.put;

describe("SimpleDirectoryReader on files that unpack to more than their size", () => {
  it("reads a zip's declared sizes from its central directory, unpacking nothing", async () => {
    const { bytes, xmlSize } = await docxBomb(96);
    expect(bytes.length).toBeLessThan(200 * 1024);
    const { entries } = await readZipDirectory(bytes);
    expect(entries.map((e) => [e.name, e.uncompressedSize])).toEqual([
      ["[Content_Types].xml", Buffer.byteLength(CONTENT_TYPES_XML)],
      ["_rels/.rels", Buffer.byteLength(PACKAGE_RELS_XML)],
      ["word/document.xml", xmlSize],
    ]);
    expect(xmlSize).toBeGreaterThan(96 * 1024 * 1024);
  });

  it("refuses a DOCX whose parts would unpack to more than maxUncompressedSize before unpacking any of it", async () => {
    const { bytes, xmlSize } = await docxBomb(96);
    const error = await readDocxParts(bytes, DEFAULT_MAX_UNCOMPRESSED_SIZE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LimitExceededError);
    const total = xmlSize + Buffer.byteLength(CONTENT_TYPES_XML) + Buffer.byteLength(PACKAGE_RELS_XML);
    expect((error as Error).message).toBe(
      `it unpacks to at least 96 MiB (${total} bytes; word/document.xml alone is 96 MiB), over the 16 MiB ` +
        "limit on what a DOCX may unpack to; raise the maxUncompressedSize option (in bytes) to read it",
    );
    // Within the limit, every XML part is unpacked.
    const parts = await readDocxParts(bytes, 2 * xmlSize);
    expect([...parts].map(([name, data]) => [name, data.byteLength])).toEqual([
      ["[Content_Types].xml", Buffer.byteLength(CONTENT_TYPES_XML)],
      ["_rels/.rels", Buffer.byteLength(PACKAGE_RELS_XML)],
      ["word/document.xml", xmlSize],
    ]);

    // Proof that nothing was unpacked: with its data replaced by bytes that are not deflate data at all, the
    // part is refused the same way (unpacking it would have failed on the data instead).
    const garbage = rawZip([
      deflated("[Content_Types].xml", CONTENT_TYPES_XML),
      deflated("_rels/.rels", PACKAGE_RELS_XML),
      { name: "word/document.xml", method: 8, data: new Uint8Array(64).fill(0xff), size: xmlSize, crc: 0 },
    ]);
    await expect(readDocxParts(garbage, DEFAULT_MAX_UNCOMPRESSED_SIZE)).rejects.toThrow(LimitExceededError);
    await expect(readDocxParts(garbage, 2 * xmlSize)).rejects.toThrow(
      /word\/document\.xml cannot be unpacked/,
    );
  });

  it("counts only the parts mammoth reads: media do not take a DOCX over maxUncompressedSize", async () => {
    const docx = await makeDocx(["With a picture."]);
    const zip = await JSZip.loadAsync(docx);
    zip.file("word/media/image1.png", new Uint8Array(2 * 1024 * 1024));
    await put("picture.docx", await zip.generateAsync({ type: "uint8array", compression: "DEFLATE" }));
    const { reader, warnings } = quietReader({ maxUncompressedSize: 1024 * 1024 });
    const docs = await reader.loadData(folder.dir);
    expect(docs.map((d) => d.text)).toEqual(["With a picture."]);
    expect(warnings).toEqual([]);
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
    const docs = await reader.loadData(folder.dir);
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
      .loadData(folder.dir)
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

  it("stops unpacking a DOCX part at the size its zip declares (a bomb whose local and central headers lie)", async () => {
    const xml = DOCUMENT_START + " ".repeat(1024 * 1024) + DOCUMENT_END;
    const lying = rawZip([
      deflated("[Content_Types].xml", CONTENT_TYPES_XML),
      deflated("_rels/.rels", PACKAGE_RELS_XML),
      { ...deflated("word/document.xml", xml), size: 1000 },
    ]);
    await expect(readDocxParts(lying, DEFAULT_MAX_UNCOMPRESSED_SIZE)).rejects.toThrow(
      "word/document.xml unpacks to more than the 1000 bytes the zip's directory declares",
    );
    const file = await put("lying.docx", lying);
    const { reader, warnings } = quietReader();
    expect(await reader.loadData(folder.dir)).toEqual([]);
    expect(warnings).toEqual([
      `Skipped ${file}: it cannot be converted to text (not a readable DOCX file: word/document.xml unpacks to ` +
        "more than the 1000 bytes the zip's directory declares).",
    ]);
  });

  it("a cut-short DOCX, or one behind prepended bytes, is skipped naming the file (a ReaderError with onError)", async () => {
    const docx = await makeDocx(["Cut short."]);
    const cutShort = await put("cut.docx", docx.subarray(0, Math.floor(docx.length / 2)));
    const { reader, warnings } = quietReader();
    expect(await reader.loadData(folder.dir)).toEqual([]);
    expect(warnings).toEqual([
      `Skipped ${cutShort}: it cannot be converted to text (not a readable DOCX file: not a zip file, or one cut ` +
        "short or corrupt (End of central directory record signature not found. Either not a zip file, or file is " +
        "truncated.)).",
    ]);
    const error = await new SimpleDirectoryReader({ onError: "error" })
      .loadData({ inputFiles: [cutShort] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReaderError);
    expect((error as ReaderError).filePath).toBe(cutShort);

    // A self-extracting stub shifts every offset the directory records: yauzl does not guess the shift.
    const stub = await put("stub.docx", Buffer.concat([Buffer.from("MZ self-extracting stub\n"), docx]));
    const stubbed = quietReader();
    expect(await stubbed.reader.loadData({ inputFiles: [stub] })).toEqual([]);
    expect(stubbed.warnings).toHaveLength(1);
    expect(stubbed.warnings[0]).toMatch(
      new RegExp(
        `^Skipped ${stub}: it cannot be converted to text \\(not a readable DOCX file: not a zip file`,
      ),
    );
  });

  it("refuses a zip listing more than MAX_ZIP_ENTRIES entries before listing any", async () => {
    const many = rawZip(
      Array.from({ length: MAX_ZIP_ENTRIES + 1 }, (_, i) => ({
        name: `p${i}.xml`,
        method: 0,
        data: new Uint8Array(0),
        size: 0,
        crc: 0,
      })),
    );
    await expect(readZipDirectory(many)).rejects.toThrow(
      `the zip lists ${MAX_ZIP_ENTRIES + 1} entries, more than the ${MAX_ZIP_ENTRIES} it is read with`,
    );
    expect((await readZipDirectory(many, MAX_ZIP_ENTRIES + 1)).entries).toHaveLength(MAX_ZIP_ENTRIES + 1);
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
    const docs = await reader.loadData(folder.dir);
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
