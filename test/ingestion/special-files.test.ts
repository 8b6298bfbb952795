// FIFOs, sockets and devices among the files to read: skipped with a warning, never opened in a way that blocks.
import { execFileSync } from "node:child_process";
import * as fsp from "node:fs/promises";
import { createServer, type Server } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ReaderError } from "../../src/index.js";
import { quietReader, useTempFolder } from "../support/document-files.js";

// `stat` passes through, except where a test makes it lie (a file replaced between the check and the open).
vi.mock("node:fs/promises", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs/promises")>();
  return { ...actual, stat: vi.fn(actual.stat) };
});
const actualFs = await vi.importActual<typeof import("node:fs/promises")>("node:fs/promises");

const folder = useTempFolder("streamdex-special-");
const servers: Server[] = [];

afterEach(async () => {
  vi.mocked(fsp.stat).mockImplementation(actualFs.stat as typeof fsp.stat);
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

function mkfifo(name: string): string {
  const file = path.join(folder.dir, name);
  execFileSync("mkfifo", [file]);
  return file;
}

async function listenOnSocket(name: string): Promise<string> {
  const file = path.join(folder.dir, name);
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(file, resolve));
  return file;
}

describe.skipIf(process.platform === "win32")("SimpleDirectoryReader and special files", () => {
  it("skips a FIFO, a socket and a device in a folder, naming each and its kind, and reads the rest", async () => {
    await folder.put("notes.txt", "Normal notes.");
    const fifo = mkfifo("pipe.txt");
    const socket = await listenOnSocket("socket.md");
    const device = path.join(folder.dir, "null.txt");
    await fsp.symlink("/dev/null", device);
    const { reader, warnings } = quietReader();
    const docs = await reader.loadData(folder.dir);
    expect(docs.map((d) => d.text)).toEqual(["Normal notes."]);
    expect(warnings).toHaveLength(3);
    expect(warnings.find((w) => w.includes(fifo))).toMatch(/a FIFO \(named pipe\), not a regular file/);
    expect(warnings.find((w) => w.includes(socket))).toMatch(/a socket, not a regular file/);
    expect(warnings.find((w) => w.includes(device))).toMatch(/a character device, not a regular file/);
  }, 5_000);

  it("skips a FIFO named explicitly, or throws ReaderError with onError: 'error'", async () => {
    const fifo = mkfifo("pipe.txt");
    for (const input of [fifo, { inputFiles: [fifo] }]) {
      const { reader, warnings } = quietReader();
      expect(await reader.loadData(input)).toEqual([]);
      expect(warnings).toEqual([`Skipped ${fifo}: it is a FIFO (named pipe), not a regular file.`]);
    }
    const error = await quietReader({ onError: "error" })
      .reader.loadData(fifo)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReaderError);
    expect((error as ReaderError).filePath).toBe(fifo);
  }, 5_000);

  it("never blocks on a file that was regular when checked and is a FIFO when opened", async () => {
    const regular = await folder.put("regular.txt", "Regular.");
    const swapped = mkfifo("swapped.txt");
    // The check before the open sees a regular file, as it would had the FIFO replaced it just after.
    vi.mocked(fsp.stat).mockImplementation((async (file: string) =>
      actualFs.stat(file === swapped ? regular : file)) as typeof fsp.stat);
    const { reader, warnings } = quietReader();
    const docs = await reader.loadData(folder.dir);
    expect(docs.map((d) => d.metadata.file_name)).toEqual(["regular.txt"]);
    expect(warnings).toEqual([`Skipped ${swapped}: it is a FIFO (named pipe), not a regular file.`]);
  }, 5_000);
});
