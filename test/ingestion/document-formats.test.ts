import { execFile } from "node:child_process";
import { truncate } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import JSZip from "jszip";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError, MetadataMode, ReaderError, SimpleDirectoryReader } from "../../src/index.js";
import { cleanEnv } from "../support/clean-env.js";
import { makeDocx, makePdf, quietReader, useTempFolder } from "../support/document-files.js";

const DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

const folder = useTempFolder("streamdex-formats-");
const put = folder.put;

const PAGES = [["Page one, line one.", "Page one (line two)."], ["Page two text."]];

describe("SimpleDirectoryReader document formats", () => {
  it("reads .pdf, .docx and .csv by default, with their MIME types", async () => {
    await put("a.pdf", makePdf(PAGES));
    await put("b.docx", await makeDocx(["Hello."]));
    await put("c.csv", "x,y\n1,2");
    await put("d.md", "# Notes");
    const { reader, warnings } = quietReader();
    const docs = await reader.loadData(folder.dir);
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
    const [doc, ...rest] = await quietReader().reader.loadData(folder.dir);
    expect(rest).toEqual([]);
    expect(doc!.id).toBe(file);
    expect(doc!.text).toBe("Page one, line one.\nPage one (line two).\n\nPage two text.");
    expect(doc!.metadata).toMatchObject({ file_type: "application/pdf", page_count: 2 });
    expect(doc!.getMetadataStr(MetadataMode.LLM)).toBe("file_name: report.pdf");
  });

  it('reads a PDF as one Document per page with pdfPages: "split"', async () => {
    const file = await put("report.pdf", makePdf(PAGES));
    const docs = await quietReader({ pdfPages: "split" }).reader.loadData(folder.dir);
    expect(docs.map((d) => [d.id, d.text, d.metadata.page_label, d.metadata.page_count])).toEqual([
      [`${file}#page=1`, "Page one, line one.\nPage one (line two).", "1", 2],
      [`${file}#page=2`, "Page two text.", "2", 2],
    ]);
    expect(docs[0]!.getMetadataStr(MetadataMode.LLM)).toBe("file_name: report.pdf\npage_label: 1");
  });

  it("reads a DOCX's paragraphs", async () => {
    await put("memo.docx", await makeDocx(["First paragraph.", "Second &amp; last paragraph."]));
    const [doc] = await quietReader().reader.loadData(folder.dir);
    expect(doc!.text).toBe("First paragraph.\n\nSecond & last paragraph.");
    expect(doc!.metadata.file_type).toBe(DOCX_MIME);
  });

  it("reads a CSV as column: value lines, with quoted commas, quotes and newlines", async () => {
    await put(
      "people.csv",
      'name,notes,city\r\n"Lovelace, Ada","Wrote the first program.\nLoved ""engines"".",London\r\nTuring,,Wilmslow\r\n',
    );
    const [doc] = await quietReader().reader.loadData(folder.dir);
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
    const [main, article, body] = await reader.loadData(folder.dir);
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
    const docs = await reader.loadData(folder.dir);
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
    expect((await reader.loadData(folder.dir)).map((d) => d.text)).toEqual(["Fine."]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(big);
    expect(warnings[0]).toMatch(/2 KiB \(2048 bytes\), over the 1 KiB limit; raise the maxFileSize option/);

    const error = await new SimpleDirectoryReader({ maxFileSize: 1024, onError: "error" })
      .loadData(folder.dir)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReaderError);
    expect((error as ReaderError).filePath).toBe(big);
    expect((error as ReaderError).message).toMatch(/maxFileSize/);
  });

  it("skips files over the default 50 MiB limit (a sparse file: never read)", async () => {
    const huge = await put("huge.pdf", "");
    await truncate(huge, 51 * 1024 * 1024);
    const { reader, warnings } = quietReader();
    expect(await reader.loadData(folder.dir)).toEqual([]);
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
      { cwd: root, env: cleanEnv() },
    );
    const result = JSON.parse(stdout) as { total: number; atImport: string[]; afterPdf: string[] };
    expect(result.total).toBeGreaterThan(20);
    expect(result.atImport).toEqual([]);
    // The probe does see the parser once a PDF is read.
    expect(result.afterPdf.some((url) => url.includes("/unpdf/"))).toBe(true);
  });
});
