/** The end of an iteration: the one `{ done: true, value: undefined }` every stream of the library returns. */
export const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });
