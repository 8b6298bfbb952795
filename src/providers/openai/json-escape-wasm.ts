// Generated from json-escape.wat by `npm run build:wasm` (scripts/build-wasm.ts): do not edit.

/** The bytes of json-escape.wat (480 bytes). @internal */
export const JSON_ESCAPE_WASM: Uint8Array<ArrayBuffer> = Uint8Array.from(
  atob(
    [
      "AGFzbQEAAAABDgJgAn9/AX9gA39/fwF/AwMCAAEFAwEAAQcTAgZtZW1vcnkCAAZlc2NhcGUAAQruAgJmAQF/IAFB3AA6AAAgAEEg",
      "TwRAIAEgADoAASABQQJqDwsgAC0AACECIAEgAjoAASACQfUARwRAIAFBAmoPCyABQbDgADsBAiABIABBBHYtACA6AAQgASAAQQ9x",
      "LQAgOgAFIAFBBmoLhAIDAn8BewN/IAAgAWohAyACIQQCQANAIAMgAGtBEEkNASAA/QAEACEFIAX9DCAgICAgICAgICAgICAgICD9",
      "JiAF/QwiIiIiIiIiIiIiIiIiIiIi/SMgBf0MXFxcXFxcXFxcXFxcXFxcXP0j/VD9UP1kIQYgBCAF/QsEACAGRQRAIABBEGohACAE",
      "QRBqIQQMAQsgBmghByAAIAdqIQAgAC0AACAEIAdqEAAhBCAAQQFqIQAMAAsLAkADQCAAIANPDQEgAC0AACEIIAhBIEkgCEEiRiAI",
      "QdwARnJyBEAgCCAEEAAhBAUgBCAIOgAAIARBAWohBAsgAEEBaiEADAALCyAEIAJrCws2AQBBAAswdXV1dXV1dXVidG51ZnJ1dXV1",
      "dXV1dXV1dXV1dXV1dXUwMTIzNDU2Nzg5YWJjZGVm",
    ].join(""),
  ),
  (c) => c.charCodeAt(0),
);
