/** Very common English words that carry no topic (used by the offline embedding and extractive answerer). */
export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    "a an and are as at be but by can could did do does for from had has have he her his how i if in into is it " +
    "its me my of on or our she so that the their them then there they this to was we were what when where which " +
    "who why will with would you your"
  ).split(" "),
);

/** Lower-cased words of `text` (letters and digits), without stopwords and one-letter words. */
export function contentWords(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length > 1 && !STOPWORDS.has(w));
}
