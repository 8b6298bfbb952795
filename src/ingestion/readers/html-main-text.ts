import type { DomNode, FormatCallback, HtmlToTextOptions } from "html-to-text";

type Convert = (html: string) => string;

/** Never the page's content (`head` too: a page without a content element is read whole). */
const CHROME = [
  "head",
  "title",
  "nav",
  "footer",
  "aside",
  "form",
  "script",
  "style",
  "noscript",
  "template",
  "img",
  '[role="navigation"]',
  '[role="banner"]',
  '[role="contentinfo"]',
  '[role="complementary"]',
  '[role="search"]',
];

const HEADINGS = ["h1", "h2", "h3", "h4", "h5", "h6"].map((selector) => ({
  selector,
  options: { uppercase: false },
}));

/** Whether `elem` sits inside a `<main>` or an `<article>`. */
function insideContent(elem: DomNode): boolean {
  for (let node = elem.parent; node; node = node.parent) {
    if (node.name === "main" || node.name === "article") return true;
  }
  return false;
}

/**
 * A `<header>` is the site banner, skipped, unless it is an article's or the main content's own header (its
 * title and byline), which is kept as a block.
 */
const contentHeader: FormatCallback = (elem, walk, builder, formatOptions) => {
  if (!insideContent(elem)) return;
  builder.openBlock({ leadingLineBreaks: formatOptions.leadingLineBreaks ?? 1 });
  walk(elem.children, builder);
  builder.closeBlock({ trailingLineBreaks: formatOptions.trailingLineBreaks ?? 1 });
};

function options(base: string): HtmlToTextOptions {
  return {
    wordwrap: false,
    // The whole document when there is no `base` element.
    baseElements: { selectors: [base], orderBy: "occurrence", returnDomByDefault: true },
    // The reader's maxFileSize is the limit: html-to-text would otherwise truncate past 16 M characters.
    limits: { maxInputLength: Number.MAX_SAFE_INTEGER },
    formatters: { contentHeader },
    selectors: [
      ...HEADINGS,
      ...CHROME.map((selector) => ({ selector, format: "skip" })),
      {
        selector: "header",
        format: "contentHeader",
        options: { leadingLineBreaks: 1, trailingLineBreaks: 1 },
      },
      { selector: "a", options: { ignoreHref: true } },
      { selector: "table", format: "dataTable", options: { uppercaseHeaderCells: false } },
    ],
  };
}

let converters: Promise<{ main: Convert; article: Convert }> | undefined;

/**
 * The main text of an HTML page as plain text (via `html-to-text`, imported on first use). The content is the
 * `<main>` element when there is one, else the `<article>` elements, else the whole page; navigation, site
 * header and footer, asides, forms, scripts, styles, images and link targets are dropped (also elements with
 * `role="navigation"`, `"banner"`, `"contentinfo"`, `"complementary"` or `"search"`). An article's own
 * `<header>` (its title) is kept. Headings and paragraphs stay separated by blank lines.
 *
 * @example
 * ```ts
 * await htmlToText("<nav>Home</nav><main><h1>Title</h1><p>Body.</p></main>"); // "Title\n\nBody."
 * ```
 */
export async function htmlToText(content: string): Promise<string> {
  converters ??= import("html-to-text").then((mod) => ({
    main: mod.compile(options("main")),
    article: mod.compile(options("article")),
  }));
  const { main, article } = await converters;
  // A false positive (e.g. "<main" in a comment) is harmless: without the element the whole page is read.
  return /<main[\s>]/i.test(content) ? main(content) : article(content);
}
